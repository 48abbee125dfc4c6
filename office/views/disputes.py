"""Dispute mediation and inspection findings."""
from office.kit.base import OfficeModelView
from office.kit.loading import joined
from office.models import Dispute, Finding, FindingStatus
from office.scope import ScopedInterface
from office.services.deadlines import due_state


def _finding_state(finding: Finding) -> str | None:
    """Past its 整改时限 and not rectified: overdue (red); within 7 days: due soon (amber)."""
    return due_state(finding.deadline, finding.status == FindingStatus.closed)


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
    row_state = staticmethod(_finding_state)  # list and grid rows coloured by the deadline
