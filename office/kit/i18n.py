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


class Term(str):
    """A value of a message that is itself a msgid (a column's label, an enum's label): Chinese
    in the message's str(), translated with the message."""


class TranslatableError(Exception):
    """A domain error whose message is a msgid with named ``%(name)s`` placeholders:
    ``raise TaskError("本县（区）%(year)s年度已有工作方案", year=2021)``. ``str(exc)`` is the
    Chinese text (logs, the change log, the CLI, jobs and the return to the city stay Chinese);
    ``exc.translated()`` is the same message in the request's language. A literal ``%`` is
    written ``%%`` when the message has placeholders (as for tr). Each subclass's name is an
    extraction keyword (ERROR_KEYWORDS in office/translations/extract.py), so ``make i18n``
    finds the msgid. Given another such error instead of a msgid, it carries that message on."""

    def __init__(self, msgid="", /, **values):
        if isinstance(msgid, TranslatableError):
            msgid, values = msgid.msgid, {**msgid.values, **values}
        self.msgid, self.values = str(msgid), values
        super().__init__(self.msgid % _filled(values, translate=False) if values else self.msgid)

    def translated(self) -> str:
        """The message in the request's language (Chinese outside a request)."""
        if not has_request_context():
            return str(self)
        text = gettext(self.msgid)
        return text % _filled(self.values, translate=True) if self.values else text


class Message(TranslatableError):
    """A msgid with its values used as the value of another message's placeholder (剩%(n)s天
    inside 该任务%(deadline)s): Chinese in the outer str(), translated with it."""


def _filled(values: dict, translate: bool) -> dict:
    """The placeholders' values: a Term or a translatable error in the message's language, a
    tuple of Terms as a list (一、二)."""
    out = {}
    for key, value in values.items():
        if isinstance(value, tuple):
            value = (tr("、") if translate else "、").join(
                tr(v) if translate and isinstance(v, Term) else str(v) for v in value)
        elif isinstance(value, TranslatableError):
            value = value.translated() if translate else str(value)
        elif isinstance(value, Term) and translate:
            value = tr(value)
        out[key] = value
    return out


def error_text(exc: BaseException) -> str:
    """What a caught error says to the user, in the request's language: a TranslatableError's
    translated(), any other error's text (translated when it is a msgid)."""
    if isinstance(exc, TranslatableError):
        return exc.translated()
    return tr(str(exc))


def flash_tr(message, category: str = "message", **values) -> None:
    """Flashes a msgid in the request's language, with named placeholders filled in:
    ``flash_tr("已删除 %(n)s 条记录", "info", n=3)``; or a caught error, said by error_text
    (``flash_tr(exc, "danger")``). A message that is not a msgid is flashed as it is."""
    if isinstance(message, BaseException):
        flash(error_text(message), category)
        return
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
