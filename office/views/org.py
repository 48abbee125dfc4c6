"""The county, townships, departments and the complaint-channel directory."""
from ..models import ContactPoint, County, Department, DirectoryRevision, Township
from ..security import ScopedInterface
from .base import OfficeModelView


class ContactPointView(OfficeModelView):
    datamodel = ScopedInterface(ContactPoint)
    list_columns = ["department", "township", "person", "service_phone", "complaint_phone",
                    "hours", "reported_on"]
    add_columns = edit_columns = ["department", "township", "person", "service_phone",
                                  "complaint_phone", "hours", "reported_on"]
    search_columns = ["department", "township", "person", "complaint_phone"]
    base_order = ("id", "asc")


class DirectoryRevisionView(OfficeModelView):
    datamodel = ScopedInterface(DirectoryRevision)
    list_columns = ["number", "effective_on", "note"]
    add_columns = edit_columns = ["county", "number", "effective_on", "note"]
    search_columns = ["number", "effective_on"]
    base_order = ("number", "desc")


class DepartmentView(OfficeModelView):
    datamodel = ScopedInterface(Department)
    list_columns = ["name", "short_name", "county"]
    add_columns = edit_columns = ["county", "name", "short_name", "duties"]
    search_columns = ["name", "short_name"]
    base_order = ("id", "asc")
    related_views = [ContactPointView]


class TownshipView(OfficeModelView):
    datamodel = ScopedInterface(Township)
    list_columns = ["name", "kind", "county"]
    add_columns = edit_columns = ["county", "name", "kind"]
    search_columns = ["name", "kind"]
    base_order = ("id", "asc")
    related_views = [ContactPointView]


class CountyView(OfficeModelView):
    datamodel = ScopedInterface(County)
    list_columns = ["name", "code"]
    add_columns = edit_columns = ["name", "code"]
    search_columns = ["name", "code"]
    base_order = ("id", "asc")
    related_views = [TownshipView, DepartmentView]
