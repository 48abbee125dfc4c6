"""Dispute mediation and inspection findings."""
from ..models import Dispute, Finding
from ..security import ScopedInterface
from .base import OfficeModelView


class DisputeView(OfficeModelView):
    datamodel = ScopedInterface(Dispute)
    list_columns = ["compound", "received_on", "parties", "status", "resolved_on", "mediator"]
    add_columns = edit_columns = [
        "compound", "received_on", "parties", "summary", "status", "resolved_on", "mediator",
    ]
    search_columns = ["compound", "parties", "status", "received_on", "summary"]
    base_order = ("received_on", "desc")


class FindingView(OfficeModelView):
    datamodel = ScopedInterface(Finding)
    list_columns = ["compound", "source", "found_on", "deadline", "status", "closed_on"]
    add_columns = edit_columns = [
        "compound", "source", "found_on", "description", "deadline", "status", "closed_on",
    ]
    search_columns = ["compound", "source", "status", "found_on", "deadline"]
    base_order = ("found_on", "desc")
