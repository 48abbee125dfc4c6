"""Excel export and import for every screen, from declarations only.

A screen gets, by having IoMixin among its bases:

* GET  /<view>/export/                    the list as xlsx, with its search, order and scope (read)
* GET  /<view>/import/                    the import page (add)
* GET  /<view>/import/template/           the blank template (add)
* POST /<view>/import/                    upload → everything validated → preview (add)
* GET  /<view>/import/<token>/            the preview: N 行可导入 / M 行有错误 (add)
* GET  /<view>/import/<token>/errors.xlsx the upload with its bad cells red (add)
* POST /<view>/import/<token>/commit      仅新增 (add) or 新增并更新 (add + edit), one transaction

Declarations a screen may add: ``business_key = ["township", "name"]`` (what 新增并更新 matches
on; without it only 仅新增 is offered) and ``export_columns`` (default: the add form's columns
plus the other list columns). Screens whose ``base_permissions`` lack can_add export only.
"""
from __future__ import annotations

import datetime as dt
import os
import tempfile

from flask import abort, current_app, redirect, request, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.urltools import get_filter_args, get_order_args
from flask_login import current_user

from office.kit.columns import export_columns, importable
from office.kit.downloads import send_download
from office.kit.grid import query as grid_query
from office.kit.i18n import error_text, flash_tr
from office.kit.io.commit import (
    ADD,
    UPSERT,
    ImportRowsError,
    claim_plan,
    commit,
    load_plan,
    plan_for,
    release_plan,
    save_plan,
    save_plan_as,
    upload_dir,
)
from office.kit.io.export import export_to_file
from office.kit.io.importer import import_spec, summary, validate
from office.kit.io.read import ImportFileError, read_upload
from office.kit.io.template import build_error_workbook, build_template
from office.models import db
from office.scope import current_scope

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_MAX_ROWS = 20000
ERRORS_SHOWN = 500


def view_title(view) -> str:
    """The screen's menu name (住宅小区), else its list title."""
    items = list(view.appbuilder.menu.get_list())
    for item in items:
        items.extend(item.childs or [])
        if item.baseview is view:
            return str(item.name)
    return str(view.list_title)


def send_and_remove(path: str, name: str, fallback: str):
    """Stream a temporary workbook as a download; it is unlinked at once."""
    return send_download(path, name, fallback=fallback, mimetype=XLSX, remove=True)


def file_stem(view) -> str:
    """The screen's English name for the ASCII file name (compound, service_contract)."""
    return view.datamodel.obj.__tablename__


def _without_loaders(filters):
    """FAB filters minus "filters" that only add loader options (they have no arg_name):
    the export selects columns, not entities."""
    out = filters.copy()
    pairs = [(f, v) for f, v in zip(out.filters, out.values) if getattr(f, "arg_name", None)]
    out.filters = [f for f, _ in pairs]
    out.values = [v for _, v in pairs]
    return out


class IoMixin:
    """Export and import endpoints; put it before OfficeModelView's FAB base."""

    business_key: list[str] | None = None
    export_columns: list[str] | None = None
    list_template = "io/list.html"

    # ------------------------------------------------------------ export

    @expose("/export/")
    @has_access
    def export(self):
        if request.args.get("grid") and hasattr(self, "grid_columns"):
            return self._export_grid()
        filters = self.datamodel.get_filters(self.search_columns)
        get_filter_args(filters)
        filters = _without_loaders(filters.get_joined_filters(self._base_filters))
        column, direction = get_order_args().get(type(self).__name__, ("", ""))
        if column not in (self.order_columns or []):
            column, direction = self.base_order or ("", "")
        title = view_title(self)
        path, _count = export_to_file(self.datamodel, export_columns(self), title, filters,
                                      column, direction)
        stamp = dt.datetime.now().strftime("%Y%m%d_%H%M")
        return send_and_remove(path, f"{title}_{stamp}.xlsx",
                               f"{file_stem(self)}_export_{stamp}")

    def _export_grid(self):
        """The export of the grid as it is shown: its filters, search and sort (the grid's own
        parameters, ?grid=1&sort=…&f_…&q=…), every page, in the user's read scope."""
        try:
            req = grid_query.parse_request(request.args, self.grid_columns, 1, self.base_order)
        except grid_query.BadRequest as exc:
            abort(400, description=str(exc))
        rows = grid_query.all_rows(self, self.grid_columns, req)
        title = view_title(self)
        path, _count = export_to_file(self.datamodel, export_columns(self), title, rows=rows)
        stamp = dt.datetime.now().strftime("%Y%m%d_%H%M")
        return send_and_remove(path, f"{title}_{stamp}.xlsx",
                               f"{file_stem(self)}_export_{stamp}")

    # ------------------------------------------------------------ import

    def _importable_or_404(self):
        if not importable(self):
            abort(404)

    def _may_update(self) -> bool:
        return bool(getattr(self, "business_key", None)) and "can_edit" in self.base_permissions \
            and self.appbuilder.sm.has_access("can_edit", self.class_permission_name)

    def _limits(self) -> tuple[int, int]:
        rows = int(current_app.config.get("OFFICE_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))
        mb = (current_app.config.get("MAX_CONTENT_LENGTH") or 20 * 1024 * 1024) // (1024 * 1024)
        return rows, mb

    def _scope_note(self) -> str:
        scope = current_scope()
        if not scope.restricted:
            return ""
        unit = getattr(current_user, "township", None) or getattr(current_user, "department", None)
        return (f"您只能导入本单位（{unit or '未设置'}）的数据；属于其他乡镇（街道、场）或部门的行"
                "会被判为错误，不会保存。")

    def _import_page(self, error: str | None = None, status: int = 200):
        spec = import_spec(self)
        max_rows, max_mb = self._limits()
        return self.render_template(
            "io/import.html", title=f"{view_title(self)} · 批量导入", view_name=type(self).__name__,
            spec=spec, error=error, max_rows=max_rows, max_mb=max_mb,
            key_labels=[spec.col(k).label for k in spec.key], may_update=self._may_update(),
            scope_note=self._scope_note(),
        ), status

    @expose("/import/", methods=["GET"])
    @has_access
    def import_form(self):
        self._importable_or_404()
        return self._import_page()

    @expose("/import/template/")
    @has_access
    def import_template(self):
        self._importable_or_404()
        spec = import_spec(self)
        max_rows, max_mb = self._limits()
        title = view_title(self)
        fd, path = tempfile.mkstemp(prefix="template-", suffix=".xlsx")
        os.close(fd)
        build_template(path, title, spec.cols, current_scope(), self.description_columns or {},
                       [spec.col(k).label for k in spec.key], max_rows, max_mb,
                       self._scope_note())
        return send_and_remove(path, f"{title}_导入模板.xlsx",
                               f"{file_stem(self)}_import_template")

    @expose("/import/", methods=["POST"])
    @has_access
    def import_upload(self):
        self._importable_or_404()
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return self._import_page("请选择要上传的文件。", 400)
        max_rows, max_mb = self._limits()
        data = upload.read(max_mb * 1024 * 1024 + 1)
        if len(data) > max_mb * 1024 * 1024:
            return self._import_page(f"上传的文件超过 {max_mb} MB 的上限，请拆分后分批导入。", 413)
        try:
            spec = import_spec(self)
            sheet = read_upload(data, upload.filename, spec.known_headers(), max_rows,
                                [c.label for c in spec.cols if c.required] or
                                [c.label for c in spec.cols])
            spec, outcomes = validate(self, sheet, current_scope(), spec)
        except ImportFileError as exc:
            db.session.rollback()
            return self._import_page(error_text(exc), 400)
        except Exception:  # noqa: BLE001 - no upload may produce a 500
            db.session.rollback()
            current_app.logger.exception("import upload into %s failed", type(self).__name__)
            return self._import_page("读取文件时出现意外错误，文件可能已损坏。请用 Excel 或 WPS "
                                     "打开后另存为 .xlsx 再上传；如仍有问题请联系系统管理员。",
                                     400)
        db.session.rollback()  # validation wrote nothing; release what it loaded
        token = save_plan(plan_for(self, spec, sheet, outcomes, current_user.id,
                                   upload.filename))
        return redirect(url_for(f"{self.endpoint}.import_preview", token=token), code=303)

    def _plan_or_404(self, token: str) -> dict:
        self._importable_or_404()
        plan = load_plan(token, current_user.id, type(self).__name__)
        if plan is None:
            abort(404)
        return plan

    @expose("/import/<token>/")
    @has_access
    def import_preview(self, token):
        plan = self._plan_or_404(token)
        counts = summary(plan["outcomes"])
        labels = plan.get("labels", {})
        errors = [(o["row"], labels.get(col, "") if col else "", message)
                  for o in plan["outcomes"] for col, message in o["errors"]]
        return self.render_template(
            "io/result.html", title=f"{view_title(self)} · 导入检查结果",
            view_name=type(self).__name__, token=token, plan=plan, counts=counts,
            errors=errors[:ERRORS_SHOWN], errors_total=len(errors),
            key_labels=[labels.get(k, k) for k in plan.get("key", [])],
            may_update=self._may_update(), ignored=plan["sheet"].get("ignored", []),
        )

    @expose("/import/<token>/errors.xlsx")
    @has_access
    def import_errors(self, token):
        plan = self._plan_or_404(token)
        fd, path = tempfile.mkstemp(prefix="errors-", suffix=".xlsx", dir=upload_dir())
        os.close(fd)
        build_error_workbook(path, plan)
        base = os.path.splitext(plan.get("filename") or view_title(self))[0]
        return send_and_remove(path, f"{base}_错误标注.xlsx",
                               f"{file_stem(self)}_import_errors")

    @expose("/import/<token>/commit", methods=["POST"])
    @has_access
    def import_commit(self, token):
        self._plan_or_404(token)
        mode = request.form.get("mode", ADD)
        if mode not in (ADD, UPSERT) or (mode == UPSERT and not self._may_update()):
            abort(403)
        plan = claim_plan(token, current_user.id, type(self).__name__)
        if plan is None:  # a second click: the first one is saving (or has saved) it
            flash_tr("这个文件正在保存或已经保存过了，请在列表中查看结果。", "warning")
            return redirect(url_for(f"{self.endpoint}.list"), code=303)
        try:
            counts = commit(import_spec(self), plan, mode)
        except ImportRowsError as exc:
            by_row = {o["row"]: o for o in plan["outcomes"]}
            for row, col, message in exc.errors:
                if row in by_row:
                    by_row[row]["errors"].append((col, message))
            release_plan(token)
            token = save_plan(plan)  # the preview, now with the rows the database refused
            if exc.message:
                flash_tr(exc.message, "danger")
            else:
                flash_tr("没有保存任何数据：请按下面列出的错误修改后重新上传。", "danger")
            return redirect(url_for(f"{self.endpoint}.import_preview", token=token), code=303)
        except BaseException:
            release_plan(token)
            save_plan_as(token, plan)  # nothing was saved: the preview stays usable
            raise
        release_plan(token)
        flash_tr("导入完成：新增 %(new)s 条，更新 %(update)s 条，"
                 "跳过 %(skipped)s 条（已存在或无变化）。",
                 "success", new=counts["new"], update=counts["update"], skipped=counts["skipped"])
        return redirect(url_for(f"{self.endpoint}.list"), code=303)

