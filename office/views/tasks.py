"""任务督办: the campaign, its targets, tasks and progress updates."""
from ..models import Campaign, Target, Task, TaskUpdate
from ..security import ScopedInterface
from .base import OfficeModelView


class TaskUpdateView(OfficeModelView):
    datamodel = ScopedInterface(TaskUpdate)
    list_columns = ["task", "noted_on", "progress", "note", "author"]
    add_columns = ["task", "noted_on", "progress", "note"]
    edit_columns = add_columns
    search_columns = ["task", "noted_on", "author"]
    base_order = ("noted_on", "desc")


class TaskView(OfficeModelView):
    datamodel = ScopedInterface(Task)
    list_columns = ["step_no", "title", "township", "department", "due_on", "status", "progress"]
    add_columns = ["campaign", "step_no", "title", "township", "department", "indicator",
                   "due_on", "status", "progress", "done_on"]
    edit_columns = add_columns
    search_columns = ["campaign", "title", "township", "department", "status", "due_on"]
    base_order = ("due_on", "asc")
    related_views = [TaskUpdateView]


class TargetView(OfficeModelView):
    datamodel = ScopedInterface(Target)
    list_columns = ["campaign", "indicator", "threshold", "due_on"]
    add_columns = edit_columns = ["campaign", "indicator", "threshold", "due_on"]
    search_columns = ["campaign", "indicator", "due_on"]
    base_order = ("due_on", "asc")


class CampaignView(OfficeModelView):
    datamodel = ScopedInterface(Campaign)
    list_columns = ["name", "year", "starts_on", "ends_on", "interim_counts"]
    add_columns = edit_columns = [
        "county", "name", "year", "starts_on", "ends_on", "interim_counts",
        "disclosure_interval_days", "reelection_warning_days", "filing_days", "term_max_years",
        "committee_min_size", "committee_max_size",
    ]
    search_columns = ["name", "year"]
    base_order = ("year", "desc")
    related_views = [TargetView, TaskView]
