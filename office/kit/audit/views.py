"""修改记录: every record's change history, and undoing one change, for every screen.

* GET  /<view>/history/<pk>                      the record's ChangeLog rows (read; 404 outside
                                                 the user's scope, like the record itself)
* POST /<view>/history/<pk>/revert/<log id>      set one field back (edit; the row must be in
                                                 the user's write scope)

The show page gets a 修改记录 button (io/show.html).
"""
from __future__ import annotations

from flask import abort, redirect, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access

from office.kit.audit import history as svc
from office.kit.audit.log import NOT_AUDITED
from office.kit.i18n import flash_tr, tr
from office.models import ChangeLog, db
from office.scope import ScopedInterface


class HistoryMixin:
    """The change history of a screen's records; put it before OfficeModelView's FAB base."""

    show_template = "io/show.html"

    def _history_item(self, pk):
        model = self.datamodel.obj
        if model in NOT_AUDITED or not hasattr(model, "__scope__"):
            abort(404)
        if not str(pk).isdigit():
            abort(404)  # (PostgreSQL would refuse to compare an integer key with "abc")
        item = self.datamodel.get(int(pk), self._base_filters)  # read scope, as the show page
        if item is None:
            abort(404)
        return item

    def _editable(self) -> set[str]:
        if "can_edit" not in self.base_permissions or not self.appbuilder.sm.has_access(
                "can_edit", self.class_permission_name):
            return set()
        # a township/department user may not undo a change of a column that is the bureau's
        return {c for c in self.edit_columns or [] if self.owner_may_change(c)}

    @expose("/history/<pk>")
    @has_access
    def history(self, pk):
        item = self._history_item(pk)
        model = type(item)
        editable = self._editable()
        if editable and self.datamodel.writable().get(item.id) is None:
            editable = set()  # readable but not theirs to change
        entries = svc.entries(model, item.id)
        related = svc.related_labels(entries)
        rows = [svc.describe(self.label_columns, model, e, editable, related) for e in entries]
        return self.render_template(
            "io/history.html", title=tr("修改记录 · %(item)s", item=item), item=item,
            pk=item.id, rows=rows,
            view_name=type(self).__name__,
        )

    @expose("/history/<pk>/revert/<int:log_id>", methods=["POST"])
    @has_access
    def history_revert(self, pk, log_id):
        self._history_item(pk)
        item = self._writable(int(pk))  # 404 outside the write scope
        entry = db.session.get(ChangeLog, log_id)
        if entry is None or entry.entity != type(item).__name__ or entry.row_id != item.id:
            abort(404)
        try:
            message = svc.revert(item, entry, self._editable(), self.label_columns)
        except svc.RevertError as exc:
            flash_tr(exc, "danger")
        else:
            flash_tr(message, "success")
        return redirect(url_for(f"{self.endpoint}.history", pk=item.id), code=303)


# ---------------------------------------------------------------- the Admin's change log


def _entity_names() -> dict[str, str]:
    """Model name → the Chinese name of its screen (住宅小区), from the menu."""
    from flask import current_app, g

    if "office_entity_names" not in g:
        names: dict[str, str] = {}
        items = list(current_app.appbuilder.menu.get_list())
        for item in items:
            items.extend(item.childs or [])
            view = item.baseview
            model = getattr(getattr(view, "datamodel", None), "obj", None)
            if model is not None and view.class_permission_name == model.__name__:
                names.setdefault(model.__name__, str(item.name))
        g.office_entity_names = names
    return g.office_entity_names


class ChangeLogInterface(ScopedInterface):
    """The change log's rows as people read them: the screen's name for the entity, the
    column's label for the field, enum labels, dates and related rows' names for old → new."""

    def get_values(self, lst, list_columns):
        from flask import g

        lst = list(lst)
        g.office_change_labels = svc.related_labels(lst)  # a page's related rows, batched
        return super().get_values(lst, list_columns)

    def _get_attr_value(self, item, col):
        from flask import g

        value = super()._get_attr_value(item, col)
        if col not in ("entity", "field", "old", "new") or not isinstance(item, ChangeLog):
            return value
        related = g.get("office_change_labels")
        model = svc.models_by_name().get(item.entity)
        if col == "entity":
            return tr(_entity_names().get(item.entity, item.entity))
        if model is None:
            return value
        if col == "field":
            return svc.field_label({}, model, item.field)
        if item.field:
            return svc.display(model, item.field, value, related) if value is not None else ""
        pairs = svc.snapshot({}, model, value, related)
        return tr("；").join(tr("%(label)s：%(value)s", label=k, value=v)
                            for k, v in pairs) if value else ""
