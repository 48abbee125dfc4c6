"""投诉电话与公示牌: signboards (the directory views live in org.py)."""
from ..models import Signboard
from ..security import ScopedInterface
from .base import OfficeModelView


class SignboardView(OfficeModelView):
    datamodel = ScopedInterface(Signboard)
    list_columns = ["compound", "installed_on", "directory_version", "location", "removed_on"]
    add_columns = edit_columns = ["compound", "installed_on", "directory_version", "location",
                                  "removed_on"]
    search_columns = ["compound", "installed_on", "directory_version"]
    base_order = ("installed_on", "desc")
