"""统计报表: the archive of statistics returns (the builder arrives with the report issue)."""
from ..models import ReportRun
from ..roles import REPORTS
from ..security import ScopedInterface
from .base import OfficeModelView


class ReportRunView(OfficeModelView):
    datamodel = ScopedInterface(ReportRun)
    class_permission_name = REPORTS
    list_columns = ["as_of", "status", "requested_by", "created_at", "finished_at", "sha256",
                    "submitted_at", "receipt_no"]
    show_columns = list_columns + ["progress", "error"]
    search_columns = ["as_of", "status", "requested_by"]
    base_order = ("id", "desc")
    base_permissions = ["can_read"]  # runs are started by the report builder, not typed
