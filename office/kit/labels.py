"""Chinese column labels: each model declares its own (``__labels__``, next to ``__scope__``);
only the bookkeeping columns every model has are named here. A view's ``label_columns`` may
still override one for its screen. The labels are msgids: ``labels_for`` gives a screen
translated ones (office/kit/i18n.py)."""
import datetime as dt

from office.kit.i18n import lazy

COMMON = {"id": "编号", "created_at": "创建时间", "updated_at": "更新时间", "version": "版本"}


def model_labels(model) -> dict[str, str]:
    """The labels a model declares, its bases' first, over the bookkeeping ones."""
    out = dict(COMMON)
    for cls in reversed(model.__mro__):
        out.update(vars(cls).get("__labels__") or {})
    return out


def label(model, column: str) -> str:
    """One column's label, by its own name or, for "township.name", its first part's."""
    labels = model_labels(model)
    return labels.get(column) or labels.get(column.split(".")[0]) or column


def labels_for(model, columns) -> dict[str, str]:
    """Labels for a view's columns, translated when they are shown."""
    return {c: lazy(label(model, c)) for c in columns}


def model_messages(model) -> dict[str, str]:
    """What a clerk is told when a constraint refuses a row, by constraint name (a model's
    ``__messages__``; a constraint may carry its own as ``info={"message": …}``)."""
    out = {}
    for cls in reversed(model.__mro__):
        out.update(vars(cls).get("__messages__") or {})
    return out


# ---------------------------------------------------------------- value formatting
# (None and booleans are printed by office/_values.html; dates print as YYYY-MM-DD already.)


def local_time(utc, seconds: bool = False) -> str | None:
    """A stored UTC timestamp in this server's local time (the bureau's), as a clerk reads it."""
    if utc is None:
        return None
    local = utc.replace(tzinfo=dt.UTC).astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def to_minute(value):
    """A timestamp as a clerk reads it: 2020-09-30 17:05 (not …17:05:42.123456)."""
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M")
