"""小区与业委会: compounds and owners' self-government."""
from ..models import (
    ArchiveItem,
    CommitteeMember,
    Compound,
    OwnersCommittee,
    PrepGroup,
    SupervisionRecord,
)
from ..security import ScopedInterface
from .base import OfficeModelView
from .disputes import DisputeView, FindingView
from .property import DisclosureView, ServiceContractView
from .signboards import SignboardView


class SupervisionRecordView(OfficeModelView):
    datamodel = ScopedInterface(SupervisionRecord)
    list_columns = ["member", "kind", "held_on", "held_by"]
    add_columns = edit_columns = ["member", "kind", "held_on", "held_by", "note"]
    search_columns = ["kind", "held_on", "held_by"]
    base_order = ("held_on", "desc")


class CommitteeMemberView(OfficeModelView):
    datamodel = ScopedInterface(CommitteeMember)
    list_columns = ["name", "role", "committee", "phone", "joined_on", "left_on"]
    add_columns = edit_columns = ["committee", "name", "role", "phone", "joined_on", "left_on"]
    search_columns = ["name", "role", "phone", "joined_on"]
    base_order = ("id", "desc")
    related_views = [SupervisionRecordView]


class ArchiveItemView(OfficeModelView):
    datamodel = ScopedInterface(ArchiveItem)
    list_columns = ["committee", "kind", "present", "checked_on"]
    add_columns = edit_columns = ["committee", "kind", "present", "checked_on", "note"]
    search_columns = ["kind", "present"]
    base_order = ("id", "desc")


class OwnersCommitteeView(OfficeModelView):
    datamodel = ScopedInterface(OwnersCommittee)
    list_columns = [
        "compound", "kind", "term_no", "elected_on", "term_end", "filed_on", "dissolved_on",
        "office_space",
    ]
    add_columns = edit_columns = [
        "compound", "kind", "term_no", "elected_on", "term_end", "filed_on", "dissolved_on",
        "office_space", "office_address", "note",
    ]
    search_columns = ["compound", "kind", "office_space", "elected_on", "term_end"]
    base_order = ("elected_on", "desc")
    related_views = [CommitteeMemberView, ArchiveItemView]


class PrepGroupView(OfficeModelView):
    datamodel = ScopedInterface(PrepGroup)
    list_columns = ["compound", "formed_on", "leader", "status", "assembly_on"]
    add_columns = edit_columns = [
        "compound", "formed_on", "leader", "members_count", "status", "assembly_on", "note",
    ]
    search_columns = ["compound", "status", "formed_on"]
    base_order = ("formed_on", "desc")


class CompoundView(OfficeModelView):
    datamodel = ScopedInterface(Compound)
    list_columns = ["name", "township", "community", "kind", "households", "management_mode",
                    "company"]
    show_columns = add_columns = edit_columns = [
        "township", "name", "community", "address", "kind", "households", "buildings",
        "built_year", "delivered_on", "developer", "management_mode", "company",
    ]
    search_columns = ["name", "township", "community", "address", "kind", "management_mode"]
    base_order = ("id", "asc")
    related_views = [
        OwnersCommitteeView, PrepGroupView, ServiceContractView, DisclosureView, SignboardView,
        DisputeView, FindingView,
    ]
