"""Dispute mediation and inspection findings."""
from office.kit.base import OfficeModelView
from office.kit.loading import joined
from office.models import Dispute, Finding
from office.scope import ScopedInterface


class DisputeView(OfficeModelView):
    datamodel = ScopedInterface(Dispute)
    list_columns = ["compound", "received_on", "parties", "status", "resolved_on",
                    "mediator"]
    add_columns = edit_columns = [
        "compound", "received_on", "parties", "summary", "status", "resolved_on", "mediator",
    ]
    search_columns = ["compound", "parties", "status", "received_on", "resolved_on", "mediator",
                      "summary"]
    base_order = ("received_on", "desc")
    base_filters = [joined("compound")]


class FindingView(OfficeModelView):
    datamodel = ScopedInterface(Finding)
    list_columns = ["compound", "source", "found_on", "description", "deadline", "status",
                    "closed_on"]
    add_columns = edit_columns = [
        "compound", "source", "found_on", "description", "deadline", "status", "closed_on",
    ]
    search_columns = ["compound", "source", "status", "found_on", "deadline", "closed_on",
                      "description"]
    base_order = ("found_on", "desc")
    base_filters = [joined("compound")]
