"""The Python extractor of babel.cfg: Babel's own (``_``, ``N_``, ``lazy_gettext`` …) plus the UI
text our models declare as data, which no gettext call wraps — the string values of
``__labels__``, ``__messages__`` and ``COMMON`` dicts, and the labels of ``LabelledEnum`` members.
They are msgids like any other and are translated where the kit shows them
(office/kit/i18n.py)."""
from __future__ import annotations

import ast
import io

from babel.messages.extract import extract_python

DECLARED_DICTS = {"__labels__", "__messages__", "COMMON", "description_columns", "label_columns",
                  "ROLE_LABELS"}


def _strings(node) -> list[tuple[int, str]]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [(node.lineno, node.value)]
    if isinstance(node, ast.JoinedStr):
        return []
    return []


def _declared(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any(
                getattr(b, "id", getattr(b, "attr", "")) == "LabelledEnum" for b in node.bases):
            for stmt in node.body:
                if isinstance(stmt, ast.Assign):
                    yield from _strings(stmt.value)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {getattr(t, "id", None) for t in targets}
            if names & DECLARED_DICTS and isinstance(node.value, ast.Dict):
                for value in node.value.values:
                    yield from _strings(value)


# The domain errors (subclasses of office.kit.i18n.TranslatableError): their first argument is a
# msgid, ``raise TaskError("…%(x)s…", x=…)``; tests/test_i18n_errors.py checks the list is whole.
ERROR_KEYWORDS = frozenset((
    "TranslatableError", "CellError", "ImportFileError", "RevertError", "TaskError",
    "ReportError", "RunAbandoned", "SubmissionError", "UserError", "DashboardError", "BadDate",
    "EvidenceError", "UrgeError", "ReplaceError", "CampaignMissing", "UnsafeUpload",
    "TooLong"))


def extract(fileobj, keywords, comment_tags, options):
    data = fileobj.read()
    for lineno, funcname, messages, comments in extract_python(
            io.BytesIO(data), set(keywords) | ERROR_KEYWORDS, comment_tags, options):
        if funcname in ERROR_KEYWORDS and funcname not in keywords:
            # the caller knows only its own keywords: an error's msgid is its first argument
            first = messages[0] if isinstance(messages, (list, tuple)) else messages
            if isinstance(first, str) and first:
                yield lineno, None, first, comments
        else:
            yield lineno, funcname, messages, comments
    try:
        tree = ast.parse(data)
    except SyntaxError:
        return
    for lineno, text in _declared(tree):
        yield lineno, None, text, []
