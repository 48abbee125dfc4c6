"""公示牌 (二.3): the boards, the boards to replace, and printing them.

    /signboardview/…            every board (CRUD, grid, export) - 公示牌
    /stalesignboardview/…       boards showing an outdated directory - 待更换公示牌
    /signboards/                print: pick a township or a compound - 公示牌打印
    /signboards/compound/<id>   one compound's board, A3 portrait
    /signboards/township/<id>   every board of a township, one per page

"标记为已更换" is one action: in the list (FAB bulk action) and in the grid (POST
/<view>/grid/action/mark_replaced). Rules live in office/services/signboards.py; permission is
the Signboard entity's: reading prints, editing replaces (office/roles.py).
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.actions import action as bulk_action
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm.exc import StaleDataError

from office.kit.audit.log import audit_context
from office.kit.base import OfficeModelView
from office.kit.i18n import error_text, flash_tr, lazy, tr
from office.kit.loading import joined
from office.models import ChangeSource, Compound, Signboard, Township, db
from office.roles import EDIT, READ
from office.scope import ScopedInterface, current_scope, scope_clause
from office.services import signboards as service

MAX_ACTION_ROWS = 2000


# ---------------------------------------------------------------- grid actions


class GridActionsMixin:
    """A view's FAB actions named in ``grid_actions`` also run from its spreadsheet grid.

    The grid page gets ``config.actions`` ([{name, text, confirmation, url}]) and a button per
    action (static/signboards/grid_actions.js), which posts the ids of the selected rows to
    ``POST /<view>/grid/action/<name>`` as JSON ``{"ids": [...]}``. The rows are loaded in the
    user's write scope with the view's base filters (any row missing: 404, as grid/save); the
    action's permission is the FAB action's; the view's ``<name>_rows(items) -> message`` does
    the work (a ValueError is a refusal: 422 with its message, nothing written).

    Generic on purpose: its place is office/kit/grid/views.py + static/grid/grid.js.
    """

    grid_actions: tuple[str, ...] = ()

    def _grid_action_may(self, name: str) -> bool:
        permission = self.get_action_permission_name(name)
        return permission in self.base_permissions and self.appbuilder.sm.has_access(
            permission, self.class_permission_name)

    def _grid_action_specs(self) -> list[dict]:
        out = []
        for name in self.grid_actions:
            item = (self.actions or {}).get(name)
            if item is not None and self._grid_action_may(name):
                out.append({"name": name, "text": str(item.text),
                            "confirmation": str(item.confirmation or ""),
                            "url": url_for(f"{type(self).__name__}.grid_action", name=name)})
        return out

    def render_template(self, template, **kwargs):
        if template == "grid/grid.html" and "config" in kwargs:
            actions = self._grid_action_specs()
            if actions:
                kwargs["config"] = {**kwargs["config"], "actions": actions}
                template = "signboards/grid.html"
        return super().render_template(template, **kwargs)

    @expose("/grid/action/<name>", methods=["POST"])
    def grid_action(self, name):
        if not current_user.is_authenticated:
            return jsonify(message=tr("请先登录")), 401
        if name not in self.grid_actions or name not in (self.actions or {}):
            return jsonify(message=tr("没有这个操作")), 404
        if not self._grid_action_may(name):
            return jsonify(message=tr("您没有执行该操作的权限")), 403
        ids = (request.get_json(silent=True) or {}).get("ids")
        try:
            ids = sorted({int(i) for i in ids})
        except (TypeError, ValueError):
            return jsonify(message=tr("请先在表格中选中要操作的行")), 400
        if not ids:
            return jsonify(message=tr("请先在表格中选中要操作的行")), 400
        if len(ids) > MAX_ACTION_ROWS:
            return jsonify(message=tr("一次最多操作 %(n)s 行", n=MAX_ACTION_ROWS)), 400
        model = self.datamodel.obj
        query = self.datamodel.writable().apply_filters(db.session.query(model),
                                                        self._base_filters)
        items = query.filter(model.id.in_(ids)).order_by(model.id).all()
        if len(items) != len(ids):
            db.session.rollback()
            abort(404)  # gone, filtered out, or not the user's: never say which
        try:
            with audit_context(ChangeSource.grid):
                message = getattr(self, f"{name}_rows")(items)
        except ValueError as exc:
            db.session.rollback()
            return jsonify(message=error_text(exc)), 422
        return jsonify(message=message, ids=ids)


# ---------------------------------------------------------------- the screens


class StaleOnly(BaseFilter):
    """A base filter (never built from the URL): the boards that show an outdated directory
    (services/signboards). It has an ``arg_name`` so that the Excel export keeps it (io.py
    drops the nameless "filters" that only add loader options)."""

    name = "stale boards"
    arg_name = "stale"

    def apply(self, query, value):
        return query.filter(service.stale())


def _compound_with_print_link(compound) -> Markup:
    if compound is None:
        return Markup("")
    return Markup('{} <a class="office-print-link" href="{}" title="{}">'
                  '<i class="fa fa-print"></i> {}</a>').format(
        str(compound), url_for("SignboardPrintView.compound", compound_id=compound.id),
        tr("打印该小区的公示牌"), tr("打印"))


class _Boards(GridActionsMixin, OfficeModelView):
    """What both board screens share. (StaleSignboardView must not be a SignboardView: FAB would
    also show it as a related list wherever SignboardView is one, e.g. under a compound.)"""

    datamodel = ScopedInterface(Signboard)
    list_columns = ["compound", "installed_on", "directory_version", "location",
                    "removed_on"]
    add_columns = edit_columns = ["compound", "installed_on", "directory_version", "location",
                                  "removed_on"]
    search_columns = ["compound", "directory_version", "installed_on", "removed_on", "location"]
    description_columns = {
        "directory_version": "公示牌所印服务、投诉电话通讯录的版本号；低于现行版本即须更换",
    }
    formatters_columns = {"compound": _compound_with_print_link}
    base_order = ("installed_on", "desc")
    base_filters = [joined("compound")]
    grid_actions = ("mark_replaced",)
    # replacing a board (list bulk action and grid action) edits the old board and records
    # the new one
    method_verbs = {"mark_replaced": EDIT}

    @bulk_action("mark_replaced", lazy("标记为已更换"),
                 lazy("今天拆除所选公示牌，并按现行通讯录版本登记新公示牌？"), "fa-exchange")
    def mark_replaced(self, items):
        items = items if isinstance(items, list) else [items]
        try:
            flash_tr(self.mark_replaced_rows(items), "success")
        except ValueError as exc:
            db.session.rollback()
            flash_tr(exc, "danger")
        self.update_redirect()
        return redirect(self.get_redirect())

    def mark_replaced_rows(self, items) -> str:
        """Replace the boards (services/signboards.mark_replaced), in the user's scope."""
        if not items:
            raise ValueError(tr("请先选择要标记为已更换的公示牌"))
        for item in items:
            self.pre_update(item)
        new = service.mark_replaced(items)
        for item in new:
            self.pre_add(item)
        try:
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            raise ValueError(tr("所选公示牌刚被他人修改，请刷新后重试")) from None
        versions = tr("、").join(sorted({tr("第%(n)s版", n=b.directory_version) for b in new}))
        return tr("已将 %(n)s 块公示牌标记为已更换，新公示牌为%(versions)s（安装日期 %(on)s）",
                  n=len(new), versions=versions, on=new[0].installed_on)


class SignboardView(_Boards):
    """公示牌: every board, current and past."""


class StaleSignboardView(_Boards):
    """待更换公示牌: boards in place that show an older directory than the one in effect.
    Read, edit and replace only: a board is added by replacing, never here."""

    list_title = lazy("待更换公示牌")
    show_title = lazy_gettext("Show %(name)s", name=lazy("公示牌"))
    edit_title = lazy_gettext("Edit %(name)s", name=lazy("公示牌"))
    add_title = lazy_gettext("Add %(name)s", name=lazy("公示牌"))
    list_columns = ["compound", "compound.township", "location", "directory_version",
                    "installed_on"]
    label_columns = {"compound.township": "乡镇（街道、场）"}
    order_columns = ["installed_on", "directory_version", "location"]
    base_order = ("installed_on", "asc")
    base_filters = [joined("compound", "compound.township"), ["id", StaleOnly, None]]
    base_permissions = ["can_read", "can_edit"]
    list_template = "signboards/stale_list.html"

    def _parent_list_template(self) -> str:
        for klass in type(self).__mro__:
            if klass is not StaleSignboardView and "list_template" in vars(klass):
                return vars(klass)["list_template"]
        return "appbuilder/general/model/list.html"

    def render_template(self, template, **kwargs):
        if template == self.list_template:
            scope = current_scope()
            towns = [scope.township_id] if scope.restricted else None
            kwargs.update(base_list_template=self._parent_list_template(),
                          stale_count=service.stale_count(towns),
                          revisions=_current_revisions())
        return super().render_template(template, **kwargs)


def _current_revisions():
    from office.models import County
    from office.services import directory

    return [(county, directory.latest_revision(county.id))
            for county in db.session.scalars(sa.select(County).order_by(County.id))]


# ---------------------------------------------------------------- printing


def _compounds_in_scope():
    """Compound rows the user may read (a township clerk: their township's)."""
    clause = scope_clause(Compound, current_scope())
    return sa.true() if clause is None else clause


class SignboardPrintView(BaseView):
    """公示牌打印: A3 portrait boards, one compound or a whole township (one board a page)."""

    route_base = "/signboards"
    class_permission_name = "Signboard"
    method_permission_name = {"index": READ, "compound": READ, "township": READ}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        in_scope = _compounds_in_scope()
        towns = db.session.execute(
            sa.select(Township, sa.func.count(Compound.id))
            .join(Compound, Compound.township_id == Township.id)
            .where(in_scope).group_by(Township.id).order_by(Township.id)).all()
        stale = dict(db.session.execute(
            sa.select(Compound.township_id, sa.func.count(sa.distinct(Compound.id)))
            .join(Signboard, Signboard.compound_id == Compound.id)
            .where(in_scope, service.stale()).group_by(Compound.township_id)).all())
        term = (request.args.get("q") or "").strip()
        found = []
        if term:
            from office.kit.grid.search import escape_like

            found = list(db.session.scalars(
                sa.select(Compound).where(in_scope, Compound.name.ilike(
                    f"%{escape_like(term)}%", escape="\\"))
                .options(sa.orm.joinedload(Compound.township))
                .order_by(Compound.name).limit(50)))
        return self.render_template("signboards/index.html", title=tr("公示牌打印"),
                                    towns=towns, stale=stale, term=term, found=found)

    @expose("/compound/<int:compound_id>")
    @has_access
    def compound(self, compound_id):
        compound = db.session.scalars(
            sa.select(Compound).where(Compound.id == compound_id, _compounds_in_scope())
            .options(sa.orm.joinedload(Compound.township))).first()
        if compound is None:
            abort(404)
        boards = service.boards_for([compound])
        return self.render_template("signboards/print.html", boards=boards,
                                    missing=service.missing_units(boards),
                                    title=tr("%(name)s 公示牌", name=compound.name),
                                    back=url_for(".index"))

    @expose("/township/<int:township_id>")
    @has_access
    def township(self, township_id):
        scope = current_scope()
        township = db.session.get(Township, township_id)
        if township is None or (scope.restricted and scope.township_id != township_id):
            abort(404)  # a township clerk prints their own township's boards only
        boards = service.boards_for(service.compounds_of_township(township_id))
        return self.render_template("signboards/print.html", boards=boards,
                                    missing=service.missing_units(boards),
                                    title=tr("%(name)s 公示牌（%(n)s块）", name=township.name,
                                             n=len(boards)),
                                    back=url_for(".index"), township=township)
