"""系统管理 → 修改记录: the change log, read-only, Admin only."""
from ..models import ChangeLog
from ..roles import CHANGE_LOG
from ..security import ScopedInterface
from .base import OfficeModelView


class ChangeLogView(OfficeModelView):
    datamodel = ScopedInterface(ChangeLog)
    class_permission_name = CHANGE_LOG
    list_columns = ["at", "username", "source", "entity", "row_id", "action", "field", "old",
                    "new"]
    search_columns = ["username", "entity", "row_id", "action", "source", "at"]
    base_order = ("id", "desc")
    base_permissions = ["can_read"]
