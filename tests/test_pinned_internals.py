"""The private parts of pinned libraries the kit relies on, each for a measured reason (README,
"Private internals of pinned libraries"). An upgrade that renames or changes one fails here,
by name, before it shows up as a wrong workbook, a slow form or a worker that never starts.

The byte-for-byte comparison of our streamed rows with xlsxwriter's own is tests/test_xlsx_rows.py.
"""
from __future__ import annotations

import inspect
from pathlib import Path

import flask_appbuilder
import pytest
from flask_appbuilder import ModelRestApi, ModelView
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.models.base import BaseInterface
from flask_appbuilder.validators import Unique
from rq.scheduler import RQScheduler
from rq.worker import SimpleWorker
from werkzeug.datastructures import MultiDict
from wtforms import Form
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet


def _params(func) -> list[str]:
    return list(inspect.signature(func).parameters)


# ------------------------------------------------------------------ xlsxwriter (kit/io/rows.py)
# StreamedSheet writes a whole row of XML at once: xlsxwriter's per-cell path was most of the
# return's time at 6 million cells (the time target of bench/report.py).

@pytest.mark.parametrize("name, params", [
    ("_escape_control_characters", ["data"]),
    ("_initialize", ["self", "init_data"]),
    ("_write_single_row", ["self", "current_row_num"]),
    ("_check_dimensions", ["self", "row", "col", "ignore_row", "ignore_col"]),
    # rows.py calls _write_row(row, None): the rest (row_info since 3.3, properties before)
    # must keep their defaults.
    ("_write_row", ["self", "row", "spans"]),
])
def test_xlsxwriter_worksheet_internals(name, params):
    func = getattr(Worksheet, name, None)
    assert func is not None, f"xlsxwriter.Worksheet.{name} is gone: kit/io/rows.py needs it"
    assert _params(func)[:len(params)] == params, f"Worksheet.{name} changed its signature"
    rest = list(inspect.signature(func).parameters.values())[len(params):]
    assert all(p.default is not inspect.Parameter.empty for p in rest), \
        f"Worksheet.{name} takes more required arguments than kit/io/rows.py passes"


def test_xlsxwriter_format_index():
    assert _params(Format._get_xf_index) == ["self"]


# ------------------------------------------------------------------ rq (office/queue.py)
# The embedded deployment runs the worker and the scheduler in threads of the web process,
# on the in-process fakeredis: no signal handlers in a thread, and the scheduler must use
# that one server instead of opening its own connection pool.

def test_rq_thread_worker_hook():
    assert _params(SimpleWorker._install_signal_handlers) == ["self"]


def test_rq_scheduler_keeps_its_connection_in_an_attribute():
    source = inspect.getsource(RQScheduler)
    assert "self._connection" in source, "RQScheduler no longer reads self._connection"


# ------------------------------------------------------------------ Flask-AppBuilder / WTForms
# kit/rowform.py hands a form's dropdown the one chosen row (_object_list) instead of letting
# it load every row (200,000 compounds per pasted cell) and tells FAB's Unique validator which
# row is being edited (form._id), as FAB's own edit view does.

def test_query_select_field_uses_a_primed_object_list():
    class Row:
        id = 7

    def no_query():
        raise AssertionError("the field queried its choices despite the primed list")

    class F(Form):
        pick = QuerySelectField(query_func=no_query, get_pk_func=lambda o: o.id)

    form = F(formdata=MultiDict({"pick": "7"}))
    form.pick._object_list = [("7", Row)]
    assert form.validate() and form.pick.data is Row


def test_unique_validator_skips_the_row_named_by_form_id():
    assert "_id" in inspect.getsource(Unique.__call__)


@pytest.mark.parametrize("owner, name, params", [
    (ModelView, "_get_list_widget", ["self", "filters", "actions", "order_column",
                                     "order_direction", "page", "page_size", "widgets"]),
    (ModelView, "_edit", ["self", "pk"]),
    (ModelView, "_delete", ["self", "pk"]),
    (ModelRestApi, "_merge_update_item", ["self", "model_item", "data"]),
    (ModelRestApi, "_init_model_schemas", ["self"]),
    # the change log shows logged values as the screens do (kit/audit/views.py)
    (BaseInterface, "_get_attr_value", ["item", "col"]),
])
def test_fab_view_internals(owner, name, params):
    func = getattr(owner, name, None)
    assert func is not None, f"{owner.__name__}.{name} is gone"
    assert _params(func)[:len(params)] == params, f"{owner.__name__}.{name} changed"


def test_fab_list_template_has_the_block_the_lean_list_replaces():
    # templates/grid/list_widget.html extends FAB's list and replaces its pager (no COUNT)
    widgets = Path(flask_appbuilder.__file__).parent / "templates/appbuilder/general/widgets"
    assert "{% extends 'appbuilder/general/widgets/base_list.html' %}" in (
        widgets / "list.html").read_text(encoding="utf-8")
    assert "{% block list_header scoped %}" in (
        widgets / "base_list.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("name, sha256, ours", [
    ("navbar.html", "140e7b7ef55a8b66b8adfa25bec7703fb07ad4ffc6c9f2e374e1f2914744de07",
     "tasks/_navbar.html"),
    ("navbar_right.html", "0a7b39c996f2f3a1e425e9cc811c1a6c1bdc1aa34d2dc792aa10084e654bd4b8",
     "office/_navbar_right.html"),
])
def test_fab_templates_we_copied_are_unchanged(name, sha256, ours):
    """Our copies (the bell in the navbar, signing out by POST) follow FAB's originals: a new
    FAB that changes one must be re-synced into office/templates/<ours>."""
    import hashlib

    path = Path(flask_appbuilder.__file__).parent / "templates/appbuilder" / name
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha256, f"re-sync {ours}"
