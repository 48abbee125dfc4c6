"""系统管理 → 修改记录: the change log, read-only, Admin only."""
from office.kit.audit.views import ChangeLogInterface
from office.kit.base import OfficeModelView
from office.kit.labels import to_minute
from office.models import ChangeLog
from office.roles import CHANGE_LOG


class ChangeLogView(OfficeModelView):
    datamodel = ChangeLogInterface(ChangeLog)  # entity, field and values shown in Chinese
    class_permission_name = CHANGE_LOG
    list_columns = ["at", "username", "source", "entity", "row_id", "action", "field", "old",
                    "new"]
    search_columns = ["username", "entity", "row_id", "action", "source", "at", "field"]
    formatters_columns = {"at": to_minute}
    base_order = ("id", "desc")
    base_permissions = ["can_read"]
