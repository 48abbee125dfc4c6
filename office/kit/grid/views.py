"""Spreadsheet mode for every entity screen, and a list page without COUNT or N+1.

``GridMixin`` goes first in OfficeModelView's bases; every entity view then has, with no
per-entity code:

  GET  /<view>/grid/                 the grid page (Tabulator, served from static/vendor)
  GET  /<view>/grid/data             one page of rows as JSON (paging, sort, filters, search)
  GET  /<view>/grid/options/<field>  choices for a relation cell (?q= search, write scope)
  POST /<view>/grid/save             a batch of edited/pasted rows, all or nothing (JSON)
  POST /<view>/grid/undo             revert the last save (signed token from the save)

Columns, editors and validation come from the view's declarations (kit/grid/columns.py); a save
goes through the view's own add/edit form (kit/grid/save.py). Read endpoints need the
entity's read permission; a save needs edit for changed rows and add for new rows.

With ``lean_list`` (default on) the HTML list page also loses FAB's COUNT(*) and per-row
lazy loads: one SELECT of page_size + 1 rows with the shown relations joined, and a pager
that knows only "previous / next" (kit/grid/query.page_query).
"""
from __future__ import annotations

import re

import sqlalchemy as sa
from flask import jsonify, request, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.urltools import get_filter_args, get_page_size_args
from flask_appbuilder.widgets import ListWidget
from flask_login import current_user
from markupsafe import Markup
from wtforms.fields.core import UnboundField
from wtforms.widgets import html_params

from office.kit.columns import RELATION, describe
from office.kit.grid import count as grid_count, query as grid_query, save as grid_save
from office.kit.grid.columns import build_columns, row_json
from office.kit.i18n import N_, locale_key, tr
from office.kit.refs import label_of
from office.models import db
from office.scope import ScopedInterface

OPTIONS_LIMIT = 30


class LeanListWidget(ListWidget):
    """FAB's list table with a previous/next pager instead of one computed from a COUNT."""

    template = "grid/list_widget.html"


def _pk_of(obj):
    """The primary key of a loaded row, without building a data interface per option."""
    return sa.inspect(obj).identity[0]


class LazySelect2Widget:
    """A relation filter of the list page's search form: the <select> holds only the chosen
    row(s); select2 fetches the others as the user types (GET grid/options/<field>). FAB
    renders every row of the related table into the page instead (40,000 companies …)."""

    def __init__(self, view, field: str):
        self.view, self.field = view, field

    def __call__(self, field, **kwargs):
        model = self.view.datamodel.get_related_model(self.field)
        chosen = [v for k, v in request.args.items(multi=True)
                  if re.fullmatch(rf"_flt_\d+_{re.escape(self.field)}", k) and v.isdigit()]
        options = [Markup('<option value=""></option>')]
        if chosen:
            for row in db.session.query(model).filter(model.id.in_([int(c) for c in chosen])):
                options.append(Markup('<option value="{}" selected>{}</option>').format(
                    row.id, str(row)))
        url = url_for(f"{self.view.__class__.__name__}.grid_options", field=self.field)
        attrs = html_params(id=kwargs.pop("id", field.id), name=kwargs.pop("name", field.name),
                            **{"class": "my_select2 office-lazy-select form-control",
                               "data-options-url": url, "style": "width: 100%"})
        return Markup(f"<select {attrs}>") + Markup("").join(options) + Markup("</select>")


STATE_TITLES = {"overdue": N_("已逾期"), "due_soon": N_("7天内到期")}


class GridMixin:
    grid_page_size = 50
    lean_list = True
    list_widget = LeanListWidget
    # A row's deadline state (done / overdue / due_soon / open / None), declared as
    # staticmethod(function) by a screen whose rows have a deadline: the list page's and the
    # grid's rows are coloured by it (overdue red, due soon amber; static/office/rows.css).
    row_state = None

    def _row_states(self, rows) -> list | None:
        return None if self.row_state is None else [self.row_state(r) for r in rows]

    def _init_forms(self):
        super()._init_forms()
        for form_cls in (self.search_form, self.add_form, self.edit_form):
            for name in dir(form_cls):
                unbound = getattr(form_cls, name, None)
                if isinstance(unbound, UnboundField) and issubclass(
                        unbound.field_class, QuerySelectField):
                    unbound.kwargs["get_pk_func"] = _pk_of
                    if form_cls is self.search_form and self.lean_list and \
                            unbound.field_class is QuerySelectField:
                        unbound.kwargs["widget"] = LazySelect2Widget(self, name)

    # ------------------------------------------------------------ helpers

    @property
    def grid_columns(self):
        cache = self.__dict__.setdefault("_grid_columns", {})
        key = locale_key()  # labels in the request's language
        if key not in cache:
            cache[key] = build_columns(self)
        return cache[key]

    def _grid_may(self, verb: str) -> bool:
        permission = f"can_{verb}"
        return permission in self.base_permissions and self.appbuilder.sm.has_access(
            permission, self.class_permission_name
        )

    def _grid_spec(self, col) -> dict:
        spec = col.spec()
        # a township/department user's own row: only the columns the view leaves to them
        if spec["canUpdate"] and not self.owner_may_change(col.name):
            spec["canUpdate"] = False
        return spec

    def _grid_column(self, field: str):
        for col in self.grid_columns:
            if col.name == field:
                return col
        return None

    # ------------------------------------------------------------ endpoints

    @expose("/grid/")
    @has_access
    def grid(self):
        endpoint = self.__class__.__name__
        config = {
            "title": str(self.list_title or ""),
            "columns": [self._grid_spec(c) for c in self.grid_columns],
            "canEdit": self._grid_may("edit"),
            "canAdd": self._grid_may("add"),
            "pageSize": self.grid_page_size,
            "sort": list(self.base_order) if self.base_order else ["id", "asc"],
            "search": bool(self.search_columns),
            "urls": {
                "data": url_for(f"{endpoint}.grid_data"),
                "save": url_for(f"{endpoint}.grid_save"),
                "undo": url_for(f"{endpoint}.grid_undo"),
                "options": url_for(f"{endpoint}.grid_options", field="__field__"),
                "count": url_for(f"{endpoint}.grid_count"),
                "list": url_for(f"{endpoint}.list"),
                # the xlsx export of what the grid shows (IoMixin.export with ?grid=1): it
                # needs the read permission, as the grid itself does
                "export": url_for(f"{endpoint}.export") if hasattr(self, "_export_grid")
                else None,
            },
        }
        return self.render_template("grid/grid.html", title=self.list_title, config=config)

    @expose("/grid/data")
    @has_access
    def grid_data(self):
        columns = self.grid_columns
        try:
            req = grid_query.parse_request(request.args, columns, self.grid_page_size,
                                           self.base_order)
            rows, has_more = grid_query.fetch_page(self, columns, req)
        except grid_query.BadRequest as exc:
            return jsonify(message=str(exc)), 400
        # the page's edge rows: the browser sends them back with its next request
        # (from=<this page>, after=<cursor>, before=<first>) to jump from here by keyset
        cursor = grid_query.cursor_of(columns, req, rows[-1]) if rows and has_more else None
        first = grid_query.cursor_of(columns, req, rows[0]) if rows and req.page > 1 else None
        data = [row_json(columns, item) for item in rows]
        for row, state in zip(data, self._row_states(rows) or []):
            row["_state"] = state
        return jsonify(
            data=data,
            last_page=req.page + 1 if has_more else req.page,
            has_more=has_more,
            cursor=cursor,
            first=first,
        )

    @expose("/grid/count")
    @has_access
    def grid_count(self):
        """共 N 条 (or 约 N / 超过 N, kit/grid/count.py) for the grid's query (its own
        arguments) or, with ``list=1``, for the list page's (FAB's filter arguments). Asked
        once per query by the page after it is drawn, so the page itself never counts."""
        if request.args.get("list"):
            get_filter_args(self._filters)
            query = grid_query.list_matching(
                self, self._filters.get_joined_filters(self._base_filters))
            size = get_page_size_args().get(type(self).__name__) or self.page_size
        else:
            try:
                req = grid_query.parse_request(request.args, self.grid_columns,
                                               self.grid_page_size, self.base_order)
            except grid_query.BadRequest as exc:
                return jsonify(message=str(exc)), 400
            query, size = grid_query.matching(self, self.grid_columns, req), req.size
        return jsonify(grid_count.count_rows(query).as_json(size))

    @expose("/grid/options/<field>")
    @has_access
    def grid_options(self, field):
        """Choices of a relation: ``for=filter`` (the grid's header filter, the list page's
        search form), the rows one may filter by - the read scope, as the list shows them;
        otherwise (a cell's editor), exactly the rows the screen's form dropdown offers."""
        for_filter = request.args.get("for") == "filter"
        col = self._grid_column(field)
        if col is None and for_filter and field in (self.search_columns or []):
            col = describe(self, field)  # a search-only relation filter
        if col is None or col.kind != RELATION:
            return jsonify(message="没有这个关联列"), 404
        related = col.target
        if for_filter:
            interface = ScopedInterface(related, db.session)
            rel_fields = self.search_form_query_rel_fields or {}
        else:
            interface = self.datamodel.get_related_interface(field)
            rel_fields = self.edit_form_query_rel_fields or self.add_form_query_rel_fields or {}
        filters = None
        if field in rel_fields:
            filters = interface.get_filters().add_filter_list(rel_fields[field])
        query = interface.apply_filters(db.session.query(related), filters)
        term = (request.args.get("q") or "").strip()
        label = related.name if col.ref.by_name else None
        if term and label is not None:
            from office.kit.grid.search import escape_like

            query = query.filter(label.ilike(f"%{escape_like(term)}%", escape="\\"))
        query = query.order_by(label if label is not None else related.id, related.id)
        items = query.limit(OPTIONS_LIMIT).all()
        current = request.args.get("id", type=int)
        if current and all(i.id != current for i in items):
            extra = interface.apply_filters(db.session.query(related), filters).filter(
                related.id == current).first()
            if extra is not None:
                items.insert(0, extra)
        return jsonify([{"value": i.id, "label": label_of(i)} for i in items])

    @expose("/grid/save", methods=["POST"])
    def grid_save(self):
        if not current_user.is_authenticated:
            return jsonify(message="请先登录"), 401
        if not (self._grid_may("edit") or self._grid_may("add")):
            return jsonify(message="您没有修改这些记录的权限"), 403
        payload = request.get_json(silent=True) or {}
        outcome = grid_save.save_batch(self, self.grid_columns, payload.get("rows"),
                                       self._grid_may)
        return jsonify(outcome.body), outcome.status

    @expose("/grid/undo", methods=["POST"])
    def grid_undo(self):
        if not current_user.is_authenticated:
            return jsonify(message="请先登录"), 401
        if not (self._grid_may("edit") or self._grid_may("add")):
            return jsonify(message="您没有修改这些记录的权限"), 403
        payload = request.get_json(silent=True) or {}
        outcome = grid_save.undo_batch(self, self.grid_columns, payload.get("token"),
                                       self._grid_may)
        return jsonify(outcome.body), outcome.status

    # ------------------------------------------------------------ the lean HTML list

    def _list_relations(self) -> list[str]:
        mapper_rels = self.datamodel.obj.__mapper__.relationships
        out = []
        for name in self.list_columns:
            root = name.split(".")[0]
            rel = mapper_rels.get(root)
            if rel is not None and rel.direction.name == "MANYTOONE" and root not in out:
                out.append(root)
        return out

    def _get_list_widget(self, filters, actions=None, order_column="", order_direction="",
                         page=None, page_size=None, widgets=None, **kwargs):
        if not self.lean_list:
            return super()._get_list_widget(
                filters, actions=actions, order_column=order_column,
                order_direction=order_direction, page=page, page_size=page_size,
                widgets=widgets, **kwargs)
        widgets = widgets or {}
        actions = actions or self.actions
        page_size = page_size or self.page_size
        if not order_column and self.base_order:
            order_column, order_direction = self.base_order
        joined_filters = filters.get_joined_filters(self._base_filters)
        rows, has_more = grid_query.page_query(
            self, joined_filters, order_column, order_direction, page, page_size,
            self._list_relations())
        pks = [self._serialize_pk_if_composite(pk) for pk in self.datamodel.get_keys(rows)]
        count_url = None  # the page's own list (not a related list on a show page)
        if request.endpoint == f"{type(self).__name__}.list":
            count_url = url_for(f"{type(self).__name__}.grid_count") + "?list=1"
            if request.query_string:
                count_url += "&" + request.query_string.decode("latin-1")
        widgets["list"] = self.list_widget(
            label_columns=self.label_columns,
            include_columns=self.list_columns,
            value_columns=self.datamodel.get_values(rows, self.list_columns),
            order_columns=self.order_columns,
            formatters_columns=self.formatters_columns,
            page=page,
            page_size=page_size,
            count=len(rows),
            has_more=has_more,
            row_states=self._row_states(rows),
            count_url=count_url,
            state_titles={k: tr(v) for k, v in STATE_TITLES.items()},
            pks=pks,
            actions=actions,
            filters=filters,
            modelview_name=self.__class__.__name__,
            **kwargs,
        )
        return widgets

