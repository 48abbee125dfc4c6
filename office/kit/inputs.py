"""Malformed input is refused before any view reads it, with a 4xx and a Chinese message - once,
here, for every screen, the grid, the import and the API alike:

- a NUL character in a parameter, a form field or a JSON string (PostgreSQL refuses it in text;
  no clerk types one);
- a number too large for any id or count (over 2^63-1), and an id in the path that is not one
  (404: no such row can exist);
- JSON nested deeper than any payload of ours (Python's parser would raise RecursionError);
- FAB's list parameters (page_<View>, psize_<View>, _oc_<View>, _od_<View>) that are not a
  page number, a page size up to the view's maximum, a column the view sorts by, asc/desc.
"""
from __future__ import annotations

import json
import re

from flask import current_app, jsonify, request
from werkzeug.exceptions import BadRequest, NotFound

MAX_INT = 2**63 - 1
MAX_PAGE_SIZE = 500
MAX_DEPTH = 64
_DIGITS = re.compile(r"^[0-9]+$")
_LIST_PARAM = re.compile(r"^(page|psize|_oc|_od)_(\w+)$")
ID_ARGS = re.compile(r"^(pk|.*_id)$")


_HTTP = {400: BadRequest, 404: NotFound}


class Refused(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


def _too_big(text: str) -> bool:
    return bool(_DIGITS.match(text)) and len(text) > 18 and int(text) > MAX_INT


def _check_text(where: str, key: str, value: str) -> None:
    if "\x00" in value:
        raise Refused(f"{where}“{key}”中含有无效字符（NUL），请删除后重试")
    if _too_big(value):
        raise Refused(f"{where}“{key}”的数字过大")


def _depth_and_strings(data, depth: int = 0):
    if depth > MAX_DEPTH:
        raise Refused("提交的 JSON 嵌套层数过多")
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _depth_and_strings(k, depth + 1)
            yield from _depth_and_strings(v, depth + 1)
    elif isinstance(data, list):
        for v in data:
            yield from _depth_and_strings(v, depth + 1)
    elif isinstance(data, str) or (isinstance(data, int) and not isinstance(data, bool)):
        yield data


def _check_json() -> None:
    raw = request.get_data(cache=True)
    if not raw:
        return
    try:
        data = json.loads(raw)
    except RecursionError:
        raise Refused("提交的 JSON 嵌套层数过多") from None
    except ValueError:
        return  # not JSON: the view says so
    if not isinstance(data, dict) and not request.path.startswith("/api/"):
        raise Refused("提交的内容须为 JSON 对象")
    for value in _depth_and_strings(data):
        if isinstance(value, int):
            if abs(value) > MAX_INT:
                raise Refused("提交的数字过大")
        elif "\x00" in value:
            raise Refused("提交的内容中含有无效字符（NUL），请删除后重试")
        elif _too_big(value):
            raise Refused("提交的数字过大")


def _views_by_blueprint() -> dict:
    cache = current_app.extensions.setdefault("office_views_by_blueprint", {})
    if not cache:
        for view in current_app.appbuilder.baseviews:
            if getattr(view, "blueprint", None) is not None:
                cache[view.blueprint.name] = view
    return cache


def _check_list_params() -> None:
    view = _views_by_blueprint().get(request.blueprint or "")
    for key, value in request.args.items():
        m = _LIST_PARAM.match(key)
        if not m:
            continue
        kind = m.group(1)
        if kind in ("page", "psize"):
            top = MAX_PAGE_SIZE if kind == "psize" else 10**7
            if not _DIGITS.match(value) or int(value) > top or (kind == "psize"
                                                               and int(value) < 1):
                raise Refused("页码无效" if kind == "page"
                              else f"每页条数须在 1 到 {MAX_PAGE_SIZE} 之间")
        elif kind == "_od":
            if value not in ("asc", "desc"):
                raise Refused("排序方向须为 asc 或 desc")
        elif view is not None and value not in (getattr(view, "order_columns", None) or []):
            raise Refused(f"不能按“{value}”排序")


def refuse_malformed():
    try:
        for key, value in (request.view_args or {}).items():
            if isinstance(value, int) and value > MAX_INT or (
                    ID_ARGS.match(key) and isinstance(value, str)
                    and (not _DIGITS.match(value) or int(value) > MAX_INT)):
                raise Refused("没有找到这条记录", 404)
        for key, value in request.args.items(multi=True):
            _check_text("参数", key, key)
            _check_text("参数", key, value)
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            if request.is_json:
                _check_json()
            elif request.mimetype in ("application/x-www-form-urlencoded",
                                      "multipart/form-data"):
                for key, value in request.form.items(multi=True):
                    _check_text("表单项", key, value)
        _check_list_params()
    except Refused as exc:
        if request.path.startswith("/api/") or request.is_json:
            return jsonify(message=exc.message), exc.status
        error = _HTTP[exc.status]()
        error.office_message = exc.message  # said on the error page (kit/errors.py)
        raise error from None
    return None


def install(app) -> None:
    app.before_request(refuse_malformed)
