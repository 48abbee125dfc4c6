"""系统管理 → 修改记录: the change log, read-only, Admin only."""
from ..models import ChangeLog
from ..roles import CHANGE_LOG
from .base import OfficeModelView
from .history import ChangeLogInterface
from .labels import to_minute


class ChangeLogView(OfficeModelView):
    datamodel = ChangeLogInterface(ChangeLog)  # entity, field and values shown in Chinese
    class_permission_name = CHANGE_LOG
    list_columns = ["at", "username", "source", "entity", "row_id", "action", "field", "old",
                    "new"]
    search_columns = ["username", "entity", "row_id", "action", "source", "at", "field"]
    formatters_columns = {"at": to_minute}
    base_order = ("id", "desc")
    base_permissions = ["can_read"]
