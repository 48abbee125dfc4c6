"""The county, townships, departments and the complaint-channel directory (二.3, 三.4).

A DepartmentLiaison (or a township clerk) reads the whole directory - the 通讯录 page and the
服务投诉电话 list - and edits only their own unit's ContactPoint rows (row scope, office/
security.py). Phones are checked by one rule on every path (office.models.org.normalize_phone);
every change of the directory raises its version (office/services/directory.py).
"""
from flask import url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from office.kit.base import OfficeModelView
from office.kit.loading import joined
from office.models import ContactPoint, County, Department, DirectoryRevision, Township
from office.roles import EDIT, READ
from office.scope import ScopedInterface, current_scope
from office.services import directory
from office.services.directory import PhoneNumber
from office.views.governance import CompoundView
from office.views.tasks import TaskView


class ContactPointView(OfficeModelView):
    datamodel = ScopedInterface(ContactPoint)
    list_columns = ["department", "township", "person", "service_phone",
                    "complaint_phone", "hours", "reported_on"]
    add_columns = edit_columns = ["department", "township", "person", "service_phone",
                                  "complaint_phone", "hours", "reported_on"]
    search_columns = ["department", "township", "person", "complaint_phone", "service_phone",
                      "reported_on"]
    description_columns = {
        "department": "部门与乡镇（街道、场）二选一",
        "service_phone": "手机、带区号的固定电话（如0551-1234567，分机0551-1234567-801）、"
                         "12345等服务热线或400/800电话",
        "complaint_phone": "将印在每个小区的公示牌上；保存后通讯录自动升版，旧版公示牌列入待更换",
        "reported_on": "首次填写投诉电话时自动记为当天",
    }
    validators_columns = {"service_phone": [PhoneNumber()],
                          "complaint_phone": [PhoneNumber()]}
    base_order = ("id", "asc")
    base_filters = [joined("department", "township")]

    def _get_edit_widget(self, form, exclude_cols=None, widgets=None):
        # 报送日期 is the bureau's record: a liaison or township clerk neither sees it on their
        # form nor can change it (the directory hook puts any change of theirs back).
        if current_scope().restricted:
            exclude_cols = [*(exclude_cols or []), "reported_on"]
        return super()._get_edit_widget(form, exclude_cols=exclude_cols, widgets=widgets)


class DirectoryRevisionView(OfficeModelView):
    datamodel = ScopedInterface(DirectoryRevision)
    list_columns = ["number", "effective_on", "note"]
    add_columns = edit_columns = ["county", "number", "effective_on", "note"]
    search_columns = ["number", "effective_on", "note"]
    base_order = ("number", "desc")
    business_key = ["county", "number"]  # 导入“新增并更新”按此识别已有记录


class DepartmentView(OfficeModelView):
    datamodel = ScopedInterface(Department)
    list_columns = ["name", "short_name", "duties"]
    add_columns = edit_columns = ["county", "name", "short_name", "duties"]
    search_columns = ["name", "short_name", "duties"]
    base_order = ("id", "asc")
    business_key = ["county", "name"]  # 导入“新增并更新”按此识别已有记录
    related_views = [ContactPointView, TaskView]


class TownshipView(OfficeModelView):
    datamodel = ScopedInterface(Township)
    list_columns = ["name", "kind", "county"]
    add_columns = edit_columns = ["county", "name", "kind"]
    search_columns = ["name", "kind", "county"]
    base_order = ("id", "asc")
    business_key = ["county", "name"]  # 导入“新增并更新”按此识别已有记录
    base_filters = [joined("county")]
    related_views = [CompoundView, ContactPointView, TaskView]


class CountyView(OfficeModelView):
    datamodel = ScopedInterface(County)
    list_columns = ["name", "code"]
    add_columns = edit_columns = ["name", "code"]
    search_columns = ["name", "code"]
    base_order = ("id", "asc")
    business_key = ["name"]  # 导入“新增并更新”按此识别已有记录
    related_views = [TownshipView, DepartmentView]


class DirectoryPageView(BaseView):
    """服务投诉电话通讯录: every department's and township's channels on one readable page,
    with an edit link on the rows the user may change (a liaison: their own department's)."""

    route_base = "/directory"
    class_permission_name = "ContactPoint"
    method_permission_name = {"index": READ}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        scope = current_scope()
        may_edit = self.appbuilder.sm.has_access(f"can_{EDIT}", "ContactPoint")

        def editable(line) -> bool:
            if not may_edit or line.contact_id is None:
                return False
            if not scope.restricted:
                return True
            own = scope.department_id if line.kind == "department" else scope.township_id
            return own is not None and own == line.owner_id

        def edit_url(line) -> str:
            return url_for("ContactPointView.edit", pk=line.contact_id)

        return self.render_template(
            "signboards/directory.html", title="服务投诉电话通讯录",
            directories=directory.directory(), editable=editable, edit_url=edit_url,
            grouped=directory.grouped,
            mine=scope.department_id if scope.restricted else None,
            mine_township=scope.township_id if scope.restricted else None)
