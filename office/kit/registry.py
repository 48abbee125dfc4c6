"""Registers an entity's screen and derives its REST API from the same declarations."""
from __future__ import annotations

import inspect
import re

from flask_babel import lazy_gettext

from office.kit.base import OfficeModelRestApi, OfficeModelView
from office.kit.dependants import ENTITY_NAMES
from office.kit.labels import labels_for

EXCLUDED = ("created_at", "updated_at")  # `version` is shown: a PUT must name it


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def api_for(view: type[OfficeModelView]) -> type[OfficeModelRestApi]:
    """/api/v1/<entity>/: every column out, the screen's add/edit columns in."""
    model = view.datamodel.obj
    name = view.class_permission_name or model.__name__
    columns = [c.key for c in model.__table__.columns if c.key not in EXCLUDED]
    labels = {**labels_for(model, [*columns, *(view.add_columns or []),
                                   *(view.edit_columns or [])]),
              **(vars(view).get("label_columns") or {})}
    attrs = {
        "resource_name": _snake(name),
        "datamodel": type(view.datamodel)(model),
        "class_permission_name": name,
        "list_columns": columns,
        "show_columns": columns,
        "add_columns": list(view.add_columns or []),
        "edit_columns": list(view.edit_columns or []),
        "search_columns": list(view.search_columns or []),
        "order_columns": columns,
        "base_order": view.base_order,
        # _info describes every column: the screen's help text, else its label (FAB asks
        # gettext("") for a column without one - the catalogue's header, "Project-Id-Version…")
        "label_columns": labels,
        "description_columns": {**labels, **(view.description_columns or {})},
        "base_permissions": view.base_permissions,
        # what a township/department may change on its own row holds for the API too
        "owner_edit_columns": view.owner_edit_columns,
        "owner_edit_check": inspect.getattr_static(view, "owner_edit_check"),  # staticmethod
    }
    return type(f"{name}Api", (OfficeModelRestApi,), attrs)


# FAB titles a screen "List Compound" from the class name, which no catalogue can translate per
# entity; titles come from the menu name instead ("住宅小区列表", msgids in office/translations).
TITLES = {
    "list_title": "List %(name)s", "add_title": "Add %(name)s",
    "edit_title": "Edit %(name)s", "show_title": "Show %(name)s",
}


def _title(view: type[OfficeModelView], name: str) -> None:
    for attr, msgid in TITLES.items():
        if attr not in vars(view):  # a title the view declares itself wins
            setattr(view, attr, lazy_gettext(msgid, name=lazy_gettext(name)))


def register(appbuilder, view: type[OfficeModelView], name: str, category: str, icon: str = ""):
    ENTITY_NAMES.setdefault(view.datamodel.obj.__table__.name, str(name))
    _title(view, name)
    appbuilder.add_view(view, name, icon=icon, category=category)
    appbuilder.add_api(api_for(view))
