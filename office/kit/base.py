"""The shared machinery every entity's screens and API get by declaration.

An entity's ModelView is a short block of declarations (columns, search, filters, order);
permission naming, row scope on every path, bulk delete and the bookkeeping columns live here.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, g, redirect, request
from flask_appbuilder import ModelRestApi, ModelView
from flask_appbuilder.actions import action as bulk_action
from flask_appbuilder.baseviews import expose
from flask_appbuilder.exceptions import DatabaseException
from flask_babel import lazy_gettext as _
from marshmallow import ValidationError
from sqlalchemy.orm.attributes import NO_VALUE
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import NotFound

from office.kit.audit.views import HistoryMixin
from office.kit.dependants import HasDependants, refuse_orphans
from office.kit.grid.views import GridMixin
from office.kit.i18n import error_text, flash_tr, lazy, tr
from office.kit.io.views import IoMixin
from office.kit.labels import labels_for
from office.kit.rowform import (
    NOT_A_CHOICE,
    VersionConflict,
    check_version,
    conflict_message,
    in_chinese,
)
from office.kit.validation import ModelValidationMixin, item_errors
from office.models import db
from office.roles import METHOD_VERBS
from office.scope import ScopedInterface, current_scope, in_scope

BOOKKEEPING = ("id", "created_at", "updated_at", "version")


class InvalidPayload(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


class BureauColumns(Exception):
    """A township or department user changed a column that, on their own row, is the bureau's
    (``owner_edit_columns``). The message names the columns; ``errors`` has one per column."""

    def __init__(self, message: str, errors: dict[str, str]):
        super().__init__(message)
        self.errors = errors


def _blank(value):
    return None if value == "" else value


def changed_columns(item) -> set[str]:
    """What a form, grid row or API payload changed on a loaded row, by the views' names: a
    column's key, or a many-to-one relationship's name for it or its foreign key. Values set to
    what they were (a form posts every field) are no change; "" counts as NULL."""
    state = sa.inspect(item)
    mapper = state.mapper
    via = {}  # foreign key column -> its many-to-one relationship
    for rel in mapper.relationships:
        if not rel.uselist and len(rel.local_columns) == 1:
            via[next(iter(rel.local_columns)).key] = rel
    changed = set()
    for attr in mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if hist.has_changes() and [_blank(v) for v in hist.deleted] != [
                _blank(v) for v in hist.added]:
            rel = via.get(attr.key)
            changed.add(rel.key if rel is not None else attr.key)
    for fk, rel in via.items():
        hist = state.attrs[rel.key].history
        if not hist.has_changes() or rel.key in changed:
            continue
        # The relationship may never have been loaded (deleted is then empty): compare the
        # row it now points at with the foreign key as stored.
        new = hist.added[0] if hist.added else None
        new_id = None if new is None else sa.inspect(new).identity
        old_id = state.attrs[fk].loaded_value
        if old_id is NO_VALUE:  # expired: load it (no autoflush here)
            old_id = getattr(item, fk)
        if new_id is None or tuple(new_id) != (old_id,):
            changed.add(rel.key)
    for rel in mapper.relationships:
        if rel.uselist and state.attrs[rel.key].history.has_changes():
            hist = state.attrs[rel.key].history
            if {id(x) for x in hist.added} != {id(x) for x in hist.deleted}:
                changed.add(rel.key)
    return changed - set(BOOKKEEPING)


def _messages(exc: Exception) -> dict[str, str] | str:
    """A Chinese message per field (InvalidPayload), or the @validates hook's own message."""
    return exc.errors if isinstance(exc, InvalidPayload) else error_text(exc)


def _entity_name(model) -> str:
    return model.__name__


class ScopedMixin:
    """Row scope and permission naming, shared by the HTML views and the REST API."""

    datamodel: ScopedInterface
    # The verbs of a view's own endpoints (a bulk action, a page of its own), over the kit's.
    method_verbs: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        self.method_permission_name = {**METHOD_VERBS, **self.method_verbs}
        if getattr(self, "class_permission_name", None) is None:
            self.class_permission_name = _entity_name(self.datamodel.obj)
        columns = self.datamodel.get_columns_list() + list(self.label_columns or {})
        self.label_columns = {**labels_for(self.datamodel.obj, columns),
                              **{c: lazy(t) for c, t in (self.label_columns or {}).items()}}
        # help texts are msgids too (office/translations/extract.py finds them)
        self.description_columns = {c: lazy(t) for c, t in
                                    (self.description_columns or {}).items()}
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

    # ---- what a township or department may change on a row of theirs
    #
    # `owner_edit_columns`: the columns a user bounded to a township or department may change
    # on a row in their scope; the rest of the row is the bureau's (a task: the owner reports
    # status and progress, the bureau sets its title, deadline and addressee). None: whatever
    # the screen offers. Declared once on the view; the API generated from it copies it
    # (registry.api_for), and every path that changes a row holds to it: the edit form, the
    # grid and the API through pre_update, xlsx import likewise, the grid's editable cells
    # and undoing a logged change through owner_may_change.
    owner_edit_columns: list[str] | None = None
    # A further rule for such a user's change, called with the row after the column check
    # (raises ValueError with the clerk's message): a task mapped to an indicator takes no
    # typed progress. Declared as staticmethod(function).
    owner_edit_check = None

    def _owner_bounded(self) -> bool:
        return self.owner_edit_columns is not None and current_scope().restricted

    def owner_may_change(self, column: str) -> bool:
        """May the signed-in user change this column of a row in their scope?"""
        return not self._owner_bounded() or column in self.owner_edit_columns

    def _label(self, column: str) -> str:
        return str(self.label_columns.get(column, column))

    def _refuse_bureau_columns(self, item) -> None:
        if not self._owner_bounded():
            return
        with db.session.no_autoflush:
            forbidden = sorted(changed_columns(item) - set(self.owner_edit_columns))
        if forbidden:
            db.session.rollback()
            allowed = "、".join(self._label(c) for c in self.owner_edit_columns)
            names = "、".join(self._label(c) for c in forbidden)
            raise BureauColumns(
                f"乡镇（街道、场）和部门只能修改{allowed}；{names}由县住建局物业办调整，未保存",
                {c: f"{self._label(c)}由县住建局物业办调整，您不能修改" for c in forbidden})
        if self.owner_edit_check is not None:
            try:
                with db.session.no_autoflush:
                    self.owner_edit_check(item)
            except ValueError:
                db.session.rollback()
                raise

    def pre_add(self, item):
        self._ensure_in_scope(item)

    def pre_update(self, item):
        self._ensure_in_scope(item)
        self._refuse_bureau_columns(item)

    def pre_delete(self, item):
        self._ensure_in_scope(item)
        refuse_orphans(item)  # HasDependants: counted by kind, said in Chinese


def _joined(rows) -> str:
    return "、".join(str(row) for row in rows or [])


def _collections(view) -> dict:
    """A to-many column is shown as its rows' names, 、-separated: FAB printed the Python list
    (``[<office.models.campaign.TaskEvidence object at 0x…>]``)."""
    dm = view.datamodel
    return {c: _joined for c in {*view.list_columns, *view.show_columns}
            if dm.is_relation_one_to_many(c) or dm.is_relation_many_to_many(c)}


class OfficeModelView(
    GridMixin, IoMixin, HistoryMixin, ModelValidationMixin, ScopedMixin, ModelView
):
    """Base of every entity screen. Subclasses declare `datamodel` and columns only."""

    page_size = 25
    # FAB's /download/<filename> serves any file of UPLOAD_FOLDER to whoever may read the
    # entity, past row scope; no screen stores files that way (and unset, it answered 500).
    exclude_route_methods = {"download"}
    # The API generated from this view (see office.kit.registry) copies these.
    api_columns: list[str] | None = None

    def __init__(self, **kwargs):
        declared = type(self).base_permissions
        super().__init__(**kwargs)
        self.formatters_columns = {**_collections(self), **(self.formatters_columns or {})}
        if declared is not None:
            # FAB adds every action's permission to base_permissions, so a screen declared
            # read-only (the change log, the report archive) would gain a bulk delete.
            for name in list(self.actions):
                if self.get_action_permission_name(name) not in declared:
                    del self.actions[name]
            self.base_permissions = [p for p in self.base_permissions if p in declared]

    # Two clerks with the same edit form open: the form carries the version it was opened at
    # (validation.build_forms), and saving over a newer version - or without saying which -
    # is refused with the message every path gives (kit/rowform.check_version).
    def process_form(self, form, is_created):
        if not is_created:
            g.office_form_version = form.version.data if "version" in form else None
            if "version" in form:
                del form["version"]  # never populated onto the row
        super().process_form(form, is_created)

    def pre_update(self, item):
        if "office_form_version" in g:  # the edit page (the grid checks before its form)
            try:
                check_version(item, g.pop("office_form_version"))
            except VersionConflict:
                db.session.rollback()
                raise
        super().pre_update(item)

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
        try:
            for item in items:
                self.pre_delete(item)
        except HasDependants as exc:
            db.session.rollback()
            flash_tr("%(item)s：%(why)s（本次未删除任何记录）", "danger", item=item,
                     why=tr(exc.message))
            self.update_redirect()
            return redirect(self.get_redirect())
        self.datamodel.delete_all(items)
        flash_tr("已删除 %(n)s 条记录", "info", n=len(items))
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
    def response_422(self, message=None):
        return super().response_422(message=in_chinese(message))

    def _refuse_unknown_related(self, payload: dict, columns) -> None:
        """A related row the payload names must be one the form's dropdown would offer (in
        the user's write scope); FAB's schema would load a missing one as a new empty row."""
        errors = {}
        for name in columns:
            if name in payload and self.datamodel.is_relation_many_to_one(name):
                value = payload[name]
                if value is None:
                    continue
                related = self.datamodel.get_related_interface(name)
                try:
                    pk = int(value)
                except (TypeError, ValueError, OverflowError):
                    errors[name] = [NOT_A_CHOICE]
                    continue
                if related.get(pk) is not None:
                    continue
                if db.session.get(related.obj, pk) is not None:
                    abort(404)  # it exists, outside the user's scope: never say which
                errors[name] = [NOT_A_CHOICE]
        if errors:
            raise InvalidPayload(errors)

    def post_headless(self):
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return self.response_400(message="请求内容须为 JSON 对象")
        try:
            self._refuse_unknown_related(payload, self.add_columns)
            return super().post_headless()
        except NotFound:
            return self.response_404()
        except (InvalidPayload, ValueError) as exc:
            return self.response_422(message=_messages(exc))

    # A PUT goes through the same rules as every other write (kit/rowform.py): the row in the
    # user's write scope, the version it was made against, the owner-only columns, the model's
    # rules - and says each refusal in Chinese, never a 500 or a half-written row. FAB's own
    # PUT would answer a stale write 422 "Database exception" and a version 422 "Unknown field".
    def put_headless(self, pk):
        item = self.datamodel.writable().get(pk)
        if item is None:
            return self.response_404()
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return self.response_400(message="请求内容须为 JSON 对象")
        try:
            check_version(item, payload.get("version"))
            self._refuse_unknown_related(payload, self.edit_columns)
            data = self._merge_update_item(
                item, {k: v for k, v in payload.items() if k != "version"})
            item = self.edit_model_schema.load(data, instance=item)
            self.pre_update(item)
            self.datamodel.edit(item)
        except VersionConflict as exc:
            db.session.rollback()
            return self.response(409, message=exc.message)
        except ValidationError as exc:
            db.session.rollback()
            return self.response_422(message=exc.messages)  # in Chinese: response_422
        except NotFound:
            return self.response_404()
        except BureauColumns as exc:  # the row is theirs, those columns are not
            db.session.rollback()
            return self.response(403, message=exc.errors)
        except (InvalidPayload, ValueError) as exc:
            db.session.rollback()
            return self.response_422(message=_messages(exc))
        except DatabaseException as exc:
            if isinstance(exc.__cause__, StaleDataError):  # written in between
                return self.response(409, message=conflict_message(type(item), item.id))
            return self.response_422(message="数据库拒绝保存：" + str(exc.__cause__)[:200])
        self.post_update(item)
        result = self.edit_model_schema.dump(item, many=False)
        if hasattr(item, "version"):
            result["version"] = item.version  # what the next PUT names
        return self.response(200, result=result)

    def delete_headless(self, pk):
        if self.datamodel.writable().get(pk) is None:
            return self.response_404()
        try:
            return super().delete_headless(pk)
        except HasDependants as exc:
            db.session.rollback()
            return self.response(409, message=exc.message)
