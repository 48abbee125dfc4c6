"""The shared machinery every entity's screens and API get by declaration.

An entity's ModelView is a short block of declarations (columns, search, filters, order);
permission naming, row scope on every path, bulk delete and the bookkeeping columns live here.
"""
from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_appbuilder import ModelRestApi, ModelView
from flask_appbuilder.actions import action as bulk_action
from flask_appbuilder.baseviews import expose
from flask_babel import lazy_gettext as _
from werkzeug.exceptions import NotFound

from ..models import db
from ..roles import METHOD_VERBS
from ..security import ScopedInterface, in_scope
from .grid import GridMixin
from .history import HistoryMixin
from .io import IoMixin
from .labels import labels_for
from .validation import ModelValidationMixin, item_errors

BOOKKEEPING = ("id", "created_at", "updated_at", "version")


class InvalidPayload(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def _messages(exc: Exception) -> dict[str, str] | str:
    """A Chinese message per field (InvalidPayload), or the @validates hook's own message."""
    return exc.errors if isinstance(exc, InvalidPayload) else str(exc)


def _entity_name(model) -> str:
    return model.__name__


class ScopedMixin:
    """Row scope and permission naming, shared by the HTML views and the REST API."""

    datamodel: ScopedInterface
    method_permission_name = METHOD_VERBS

    def __init__(self, *args, **kwargs):
        if getattr(self, "class_permission_name", None) is None:
            self.class_permission_name = _entity_name(self.datamodel.obj)
        columns = self.datamodel.get_columns_list() + list(self.label_columns or {})
        self.label_columns = {**labels_for(columns), **(self.label_columns or {})}
        super().__init__(*args, **kwargs)

    def _writable(self, pk):
        """The row if the user may change it, else a 404 - never a hint that it exists."""
        item = self.datamodel.writable().get(pk)
        if item is None:
            abort(404)
        return item

    def _ensure_in_scope(self, item) -> None:
        """A row may not be created in, or moved into, someone else's township/department."""
        with db.session.no_autoflush:
            ok = in_scope(item, write=True)
        if not ok:
            db.session.rollback()
            abort(404)

    def pre_add(self, item):
        self._ensure_in_scope(item)

    def pre_update(self, item):
        self._ensure_in_scope(item)

    def pre_delete(self, item):
        self._ensure_in_scope(item)


class OfficeModelView(
    GridMixin, IoMixin, HistoryMixin, ModelValidationMixin, ScopedMixin, ModelView
):
    """Base of every entity screen. Subclasses declare `datamodel` and columns only."""

    page_size = 25
    # FAB's /download/<filename> serves any file of UPLOAD_FOLDER to whoever may read the
    # entity, past row scope; no screen stores files that way (and unset, it answered 500).
    exclude_route_methods = {"download"}
    # The API generated from this view (see office.views.registry) copies these.
    api_columns: list[str] | None = None

    def __init__(self, **kwargs):
        declared = type(self).base_permissions
        super().__init__(**kwargs)
        if declared is not None:
            # FAB adds every action's permission to base_permissions, so a screen declared
            # read-only (the change log, the report archive) would gain a bulk delete.
            for name in list(self.actions):
                if self.get_action_permission_name(name) not in declared:
                    del self.actions[name]
            self.base_permissions = [p for p in self.base_permissions if p in declared]

    # FAB loads the row through the read scope for show *and* edit; a liaison may read a
    # neighbour's directory row but not open its edit form.
    def _edit(self, pk):
        self._writable(pk)
        return super()._edit(pk)

    def _delete(self, pk):
        self._writable(pk)
        return super()._delete(pk)

    # FAB's action endpoints bypass base_filters: check every selected row first.
    @expose("/action_post", methods=["POST"])
    def action_post(self):
        if request.form.get("action") not in self.actions:
            abort(404)
        for pk in request.form.getlist("rowid"):
            self._writable(self._deserialize_pk_if_composite(pk))
        return super().action_post()

    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):
        if name not in self.actions:
            abort(404)
        self._writable(self._deserialize_pk_if_composite(pk))
        return super().action(name, pk)

    @bulk_action("muldelete", _("Delete"), _("Delete all Really?"), "fa-trash", single=False)
    def muldelete(self, items):
        for item in items:
            self.pre_delete(item)
        self.datamodel.delete_all(items)
        flash(_("已删除 %(n)s 条记录", n=len(items)), "info")
        self.update_redirect()
        return redirect(self.get_redirect())


class OfficeModelRestApi(ScopedMixin, ModelRestApi):
    """Base of every entity's REST API under /api/v1/."""

    allow_browser_login = True
    page_size = 50
    max_page_size = 500

    def _init_model_schemas(self):
        super()._init_model_schemas()
        # FAB builds enum fields without allow_none; as a PUT is merged with the stored row,
        # any PUT on a row with an empty optional enum (a task's indicator) failed with 422.
        for schema in (self.add_model_schema, self.edit_model_schema):
            for name, field in schema.fields.items():
                if self.datamodel.is_nullable(name):
                    field.allow_none = True

    # The forms' model rules (CHECK/UNIQUE constraints, @validates hooks) hold for the API too:
    # a bad payload is a 422 naming the field, never a 500 or a half-written row.
    def pre_add(self, item):
        super().pre_add(item)
        self._refuse_invalid(item)

    def pre_update(self, item):
        super().pre_update(item)
        self._refuse_invalid(item)

    def _refuse_invalid(self, item):
        with db.session.no_autoflush:
            errors = item_errors(item)
        if errors:
            db.session.rollback()
            raise InvalidPayload(errors)

    # pre_add/pre_update refuse a row outside the scope with abort(404) and invalid values with
    # InvalidPayload; FAB's @safe would turn either into a 500.
    def post_headless(self):
        try:
            return super().post_headless()
        except NotFound:
            return self.response_404()
        except (InvalidPayload, ValueError) as exc:
            return self.response_422(message=_messages(exc))

    def put_headless(self, pk):
        if self.datamodel.writable().get(pk) is None:
            return self.response_404()
        try:
            return super().put_headless(pk)
        except NotFound:
            return self.response_404()
        except (InvalidPayload, ValueError) as exc:
            db.session.rollback()
            return self.response_422(message=_messages(exc))

    def delete_headless(self, pk):
        if self.datamodel.writable().get(pk) is None:
            return self.response_404()
        return super().delete_headless(pk)
