"""Error answers in the app's own words: a page in the app's layout (navbar, a way back) in
Chinese for a browser, JSON ``{"message": …}`` for the API - never Werkzeug's bare English page.

A 500 is logged with its traceback and answered without detail; the page is drawn without the
database if the database is what failed.
"""
from __future__ import annotations

import logging

from flask import abort, current_app, flash, jsonify, redirect, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from office.kit.i18n import tr
from office.models import db

log = logging.getLogger(__name__)

TITLES = {
    400: "请求无效", 401: "请先登录", 403: "没有权限", 404: "未找到", 405: "不支持的操作",
    409: "数据冲突", 413: "内容过大", 422: "内容无法处理", 429: "操作过于频繁", 500: "系统出错",
}
MESSAGES = {
    400: "请求的内容或参数无效，请检查后重试。",
    401: "请先登录。",
    403: "您没有执行此操作的权限。如需开通，请联系县住建局物业办。",
    404: "没有找到这个页面或这条记录：它可能已被删除，或不在您的管辖范围内。",
    405: "这个地址不支持这样打开（例如退出登录须点击菜单中的“退出”）。",
    413: "提交的内容超过了上限。",
    429: "尝试过于频繁，请稍后再试。",
    500: "系统处理时出现错误，已记录下来。请稍后重试；如果一再出现，请联系系统管理员。",
}


def _too_large_message() -> str:
    limit = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)
    return tr("上传的文件超过 %(limit)s MB 的上限，请拆分成几个较小的文件分批导入。", limit=limit)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json")


def _page(code: int, message: str):
    appbuilder = current_app.appbuilder
    try:
        return render_template("office/error.html", code=code, title=TITLES.get(code, "出错了"),
                               message=message, appbuilder=appbuilder,
                               base_template=appbuilder.base_template), code
    except Exception:  # the layout needs the database (menu, user): say it without them
        log.exception("error page could not be drawn")
        return (f"<!doctype html><meta charset=utf-8><title>{TITLES.get(code, '出错了')}</title>"
                f"<p>{message}</p><p><a href='/'>返回首页</a></p>"), code


def _answer(code: int, message: str):
    if _wants_json():
        return jsonify(message=message), code
    return _page(code, message)


def _http_error(exc: HTTPException):
    code = exc.code or 500
    if isinstance(exc, RequestEntityTooLarge):
        message = _too_large_message()
        # MAX_CONTENT_LENGTH is enforced before any view runs: back to the import page
        if (request.method == "POST" and request.path.rstrip("/").endswith("/import")
                and not _wants_json()):
            flash(message, "danger")
            return redirect(request.path, code=303)
        return _answer(413, message)
    if code < 400 or (code not in MESSAGES and code < 500):
        return exc  # redirects and the rest: as Werkzeug says them
    own = getattr(exc, "office_message", None)
    return _answer(code, own or MESSAGES.get(code, MESSAGES[500]))


def _server_error(exc):
    original = getattr(exc, "original_exception", None) or exc
    log.error("unhandled error on %s %s", request.method, request.path, exc_info=original)
    try:
        db.session.rollback()
    except Exception:
        log.exception("rollback after an error failed")
    return _answer(500, MESSAGES[500])


def _refuse_too_large():
    """A body over MAX_CONTENT_LENGTH is refused before any view reads it (FAB's API would
    turn the read's 413 into a 500)."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and (request.content_length or 0) > limit:
        abort(413)


def install(app) -> None:
    app.before_request(_refuse_too_large)
    app.register_error_handler(HTTPException, _http_error)
    # an unhandled exception (Flask calls this unless it propagates them, as under TESTING)
    app.register_error_handler(InternalServerError, _server_error)
