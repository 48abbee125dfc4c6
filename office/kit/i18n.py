"""UI text through gettext. The msgids are the Chinese text itself (Chinese is the source
language and the default UI); English is in office/translations/en. Strings declared as data
(menu names, ``__labels__``, enum labels, constraint messages) are marked with ``N_`` or found by
office/translations/extract.py, and translated here, where the kit shows them."""
from __future__ import annotations

from flask import flash, has_request_context
from flask_babel import get_locale, gettext, lazy_gettext


def N_(text: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Marks a msgid for extraction; the text is translated where it is shown."""
    return text


def tr(text, **values):
    """The current request's translation of a msgid (itself outside a request: jobs, CLI and
    the return to the city stay Chinese), its ``%(name)s`` placeholders filled from values."""
    return gettext(str(text), **values) if text else text


def tr_n(msgid: str, n) -> str:
    """A msgid with one number, ``%(n)s``, in the request's language."""
    return gettext(msgid, n=n)


def flash_tr(message, category: str = "message", **values) -> None:
    """Flashes a msgid in the request's language, with named placeholders filled in:
    ``flash_tr("已删除 %(n)s 条记录", "info", n=3)``. A message that is not a msgid (a domain
    error's text, say) is flashed as it is."""
    flash(tr(message, **values), category)


def lazy(text):
    """A msgid translated when it is rendered (view declarations made at start-up)."""
    return lazy_gettext(str(text)) if text else text


def locale_key() -> str:
    """What a per-view cache of translated text is keyed by."""
    return str(get_locale() or "") if has_request_context() else ""


def enum_labels() -> frozenset[str]:
    """Every enum label (FAB's list and show pages get an enum column's value as its label)."""
    from office.models.base import LabelledEnum

    return frozenset(str(m.value) for cls in LabelledEnum.__subclasses__() for m in cls)


def install(app) -> None:
    labels = enum_labels()

    def is_labelled(value) -> bool:
        """An enum member, or an enum's label: shown translated."""
        if isinstance(value, str):
            return value in labels
        return hasattr(value, "choices") and hasattr(value, "_value_")

    app.jinja_env.tests["labelled"] = is_labelled
