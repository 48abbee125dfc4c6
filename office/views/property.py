"""物业服务: companies, contracts, price reviews, disclosures."""
from ..models import Disclosure, PropertyCompany, ServiceContract
from ..roles import PRICE_REVIEW
from ..security import ScopedInterface
from .base import OfficeModelView


class ServiceContractView(OfficeModelView):
    datamodel = ScopedInterface(ServiceContract)
    list_columns = ["compound", "company", "kind", "signed_on", "ends_on", "fee",
                    "price_review_status"]
    add_columns = edit_columns = [
        "compound", "company", "kind", "signed_on", "starts_on", "ends_on", "terminated_on",
        "service_grade", "price_regime", "fee_model", "fee",
    ]
    show_columns = add_columns + ["price_review_status", "approved_fee", "reviewed_on",
                                  "review_note"]
    search_columns = ["compound", "company", "kind", "signed_on", "ends_on",
                      "price_review_status"]
    base_order = ("signed_on", "desc")


class PriceReviewView(ServiceContractView):
    """The price reviewer's queue (三.3): only the review fields are theirs to set."""

    class_permission_name = PRICE_REVIEW
    list_title = "收费核定"
    related_views = []
    list_columns = ["compound", "company", "kind", "service_grade", "price_regime", "fee",
                    "price_review_status", "approved_fee"]
    edit_columns = ["price_review_status", "approved_fee", "reviewed_on", "review_note"]


class DisclosureView(OfficeModelView):
    datamodel = ScopedInterface(Disclosure)
    list_columns = ["compound", "item", "period", "published_on", "company", "channel"]
    add_columns = edit_columns = ["compound", "company", "item", "period", "published_on",
                                  "channel"]
    search_columns = ["compound", "item", "published_on", "company"]
    base_order = ("published_on", "desc")


class PropertyCompanyView(OfficeModelView):
    datamodel = ScopedInterface(PropertyCompany)
    list_columns = ["name", "uscc", "legal_person", "phone"]
    add_columns = edit_columns = show_columns = ["name", "uscc", "legal_person", "phone",
                                                 "address"]
    search_columns = ["name", "uscc", "legal_person"]
    base_order = ("name", "asc")
    related_views = [ServiceContractView]
