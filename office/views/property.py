"""物业服务: companies, contracts, price reviews, disclosures."""
from office.kit.base import OfficeModelView
from office.kit.loading import joined
from office.models import Disclosure, PropertyCompany, ServiceContract
from office.roles import PRICE_REVIEW
from office.scope import ScopedInterface

_CONTRACT_TERMS = [
    "compound", "company", "kind", "signed_on", "starts_on", "ends_on", "terminated_on",
    "service_grade", "price_regime", "fee_model", "fee",
]
_PRICE_REVIEW = ["price_review_status", "approved_fee", "reviewed_on", "review_note"]


class ServiceContractView(OfficeModelView):
    datamodel = ScopedInterface(ServiceContract)
    list_columns = ["compound", "company", "kind", "signed_on", "ends_on", "fee",
                    "price_review_status"]
    add_columns = edit_columns = _CONTRACT_TERMS
    show_columns = _CONTRACT_TERMS + _PRICE_REVIEW
    search_columns = ["compound", "company", "kind", "price_regime", "price_review_status",
                      "signed_on", "ends_on", "terminated_on"]
    description_columns = {
        "kind": "前期物业服务合同由建设单位签订；物业服务合同由业委会代表业主签订",
        "ends_on": "不能早于起始日期",
        "fee": "元/㎡·月",
    }
    base_order = ("signed_on", "desc")
    base_filters = [joined("compound", "company")]


# Not a subclass of ServiceContractView: FAB fills a parent's related tabs with every
# registered instance of the related class, subclasses included, so the price queue would
# appear as a second contracts tab on every compound and company.
class PriceReviewView(OfficeModelView):
    """The price reviewer's queue (三.3): only the review fields are theirs to set."""

    datamodel = ScopedInterface(ServiceContract)
    class_permission_name = PRICE_REVIEW
    base_permissions = ["can_read", "can_edit"]  # contracts are added/deleted as contracts
    list_columns = ["compound", "company", "kind", "service_grade", "price_regime",
                    "fee", "price_review_status", "approved_fee", "reviewed_on"]
    show_columns = _CONTRACT_TERMS + _PRICE_REVIEW
    edit_columns = _PRICE_REVIEW
    search_columns = ["price_review_status", "price_regime", "service_grade", "compound",
                      "company", "reviewed_on"]
    base_order = ("signed_on", "desc")
    base_filters = [joined("compound", "company")]


class DisclosureView(OfficeModelView):
    datamodel = ScopedInterface(Disclosure)
    list_columns = ["compound", "item", "period", "published_on", "company",
                    "channel"]
    add_columns = edit_columns = ["compound", "company", "item", "period", "published_on",
                                  "channel"]
    search_columns = ["compound", "item", "company", "published_on", "period", "channel"]
    base_order = ("published_on", "desc")
    base_filters = [joined("compound", "company")]


class PropertyCompanyView(OfficeModelView):
    datamodel = ScopedInterface(PropertyCompany)
    list_columns = ["name", "uscc", "legal_person", "phone"]
    add_columns = edit_columns = show_columns = ["name", "uscc", "legal_person", "phone",
                                                 "address"]
    search_columns = ["name", "uscc", "legal_person", "phone", "address"]
    description_columns = {"uscc": "18位，含校验码"}
    base_order = ("name", "asc")
    business_key = ["uscc"]  # 导入“新增并更新”按此识别已有记录
    related_views = [ServiceContractView, DisclosureView]
