"""小区与业委会: compounds and owners' self-government."""
from office.kit.base import OfficeModelView
from office.kit.loading import joined
from office.models import (
    ArchiveItem,
    CommitteeMember,
    Compound,
    OwnersCommittee,
    PrepGroup,
    SupervisionRecord,
)
from office.scope import ScopedInterface
from office.views.disputes import DisputeView, FindingView
from office.views.property import DisclosureView, ServiceContractView
from office.views.signboards import SignboardView

# A committee's label names its compound: load both with every committee dropdown.
_COMMITTEE_CHOICES = {"committee": [joined("compound")]}


class SupervisionRecordView(OfficeModelView):
    datamodel = ScopedInterface(SupervisionRecord)
    list_columns = ["member", "member.committee.compound", "kind", "held_on", "held_by"]
    label_columns = {"member.committee.compound": "小区"}
    order_columns = ["kind", "held_on", "held_by"]
    add_columns = edit_columns = ["member", "kind", "held_on", "held_by", "note"]
    search_columns = ["kind", "held_on", "held_by", "note"]
    base_order = ("held_on", "desc")
    base_filters = [joined("member.committee.compound")]


class CommitteeMemberView(OfficeModelView):
    datamodel = ScopedInterface(CommitteeMember)
    list_columns = ["name", "role", "committee", "phone", "joined_on", "left_on"]
    add_columns = edit_columns = ["committee", "name", "role", "phone", "joined_on", "left_on"]
    search_columns = ["name", "role", "committee", "phone", "joined_on", "left_on"]
    base_order = ("joined_on", "desc")
    base_filters = [joined("committee.compound")]
    search_form_query_rel_fields = add_form_query_rel_fields = edit_form_query_rel_fields = (
        _COMMITTEE_CHOICES
    )
    related_views = [SupervisionRecordView]


class ArchiveItemView(OfficeModelView):
    datamodel = ScopedInterface(ArchiveItem)
    list_columns = ["committee", "kind", "present", "checked_on", "note"]
    add_columns = edit_columns = ["committee", "kind", "present", "checked_on", "note"]
    search_columns = ["committee", "kind", "present", "checked_on"]
    base_order = ("checked_on", "desc")
    business_key = ["committee", "kind"]  # 导入“新增并更新”按此识别已有记录
    base_filters = [joined("committee.compound")]
    search_form_query_rel_fields = add_form_query_rel_fields = edit_form_query_rel_fields = (
        _COMMITTEE_CHOICES
    )


class OwnersCommitteeView(OfficeModelView):
    datamodel = ScopedInterface(OwnersCommittee)
    list_columns = [
        "compound", "kind", "term_no", "elected_on", "term_end", "filed_on", "office_space",
        "dissolved_on",
    ]
    add_columns = edit_columns = [
        "compound", "kind", "term_no", "elected_on", "term_end", "filed_on", "dissolved_on",
        "office_space", "office_address", "note",
    ]
    search_columns = ["compound", "kind", "office_space", "elected_on", "term_end", "filed_on",
                      "dissolved_on"]
    description_columns = {
        "term_end": "须晚于选举日期；任期不超过工作方案规定的最长年限",
        "filed_on": "选举后按规定时限向住建局和乡镇（街道）备案",
        "office_space": "无办公用房的，由乡镇（街道）提供临时议事场所",
    }
    base_order = ("elected_on", "desc")
    business_key = ["compound", "term_no"]  # 导入“新增并更新”按此识别已有记录
    base_filters = [joined("compound")]
    related_views = [CommitteeMemberView, ArchiveItemView]


class PrepGroupView(OfficeModelView):
    datamodel = ScopedInterface(PrepGroup)
    list_columns = ["compound", "formed_on", "leader", "members_count", "status",
                    "assembly_on"]
    add_columns = edit_columns = [
        "compound", "formed_on", "leader", "members_count", "status", "assembly_on", "note",
    ]
    search_columns = ["compound", "status", "leader", "formed_on", "assembly_on"]
    base_order = ("formed_on", "desc")
    base_filters = [joined("compound")]


class CompoundView(OfficeModelView):
    datamodel = ScopedInterface(Compound)
    list_columns = ["name", "township", "community", "kind", "households",
                    "management_mode", "company"]
    show_columns = add_columns = edit_columns = [
        "township", "name", "community", "address", "kind", "households", "buildings",
        "built_year", "delivered_on", "developer", "management_mode", "company",
    ]
    search_columns = ["name", "township", "community", "address", "kind", "management_mode",
                      "company", "households", "built_year"]
    description_columns = {
        "name": "同一乡镇（街道、场）内小区名称不能重复",
        "company": "管理方式为“物业服务企业”时填写",
    }
    base_order = ("name", "asc")
    business_key = ["township", "name"]  # 导入“新增并更新”按此识别已有记录
    base_filters = [joined("township", "company")]
    related_views = [
        OwnersCommitteeView, PrepGroupView, ServiceContractView, DisclosureView, SignboardView,
        DisputeView, FindingView,
    ]
