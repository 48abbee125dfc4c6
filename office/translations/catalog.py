"""Maintain the UI catalogues without make: extract, update, compile, check.

    .venv/bin/python office/translations/catalog.py update   # new msgids -> the .po files
    .venv/bin/python office/translations/catalog.py compile  # .po -> .mo (commit both)
    .venv/bin/python office/translations/catalog.py check    # fails on stale .mo / gaps

Flask-AppBuilder merges two catalogue directories per request: its own translations first,
then this folder (app.root_path/"translations"), and later entries win. Our zh catalogue is
the complete one: FAB's zh strings (whose catalogue misses a couple of dozen and carries some
"fuzzy" ones that never compile) completed, corrected, plus the app's own strings. So the
template for zh is extracted from the installed flask_appbuilder package *and* from office/;
extracting office/ alone and running `pybabel update` would mark FAB's strings obsolete.
The en catalogue carries the app's own msgids (office/ only), each with its English.

The extraction map is ../../babel.cfg (also what `pybabel extract` reads in `make i18n`).
"""
from __future__ import annotations

import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
OFFICE = HERE.parent
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None, "__": None, "_l": None,
            "N_": None, "tr_n": None, "tr": None, "lazy": None,
            "flash_tr": None, "ngettext": (1, 2), "lazy_ngettext": (1, 2)}
BABEL_CFG = OFFICE.parent / "babel.cfg"
CJK = re.compile(r"[\u4e00-\u9fff]")
CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")  # with full-width punctuation
LOCALES = ("zh", "en")


def _fab_dir() -> Path:
    import flask_appbuilder

    return Path(flask_appbuilder.__file__).resolve().parent


def _mapping():
    with BABEL_CFG.open() as fh:
        return parse_mapping_cfg(fh, str(BABEL_CFG))


def _extract(root: Path, prefix: str, into: Catalog) -> None:
    if str(OFFICE.parent) not in sys.path:
        sys.path.insert(0, str(OFFICE.parent))  # babel.cfg names office.translations.extract
    methods, options = _mapping()
    for filename, lineno, message, comments, context in extract_from_dir(
        str(root), methods, options, KEYWORDS
    ):
        into.add(message, None, [(f"{prefix}/{filename}", lineno)],
                 auto_comments=comments, context=context)


def template(include_fab: bool, office_pot: Path | None = None) -> Catalog:
    """The msgids: office/'s (extracted here, or read from `pybabel extract`'s .pot), and for
    zh also Flask-AppBuilder's."""
    pot = Catalog(project="office", charset="utf-8")
    if include_fab:
        _extract(_fab_dir(), "flask_appbuilder", pot)
    if office_pot is None:
        _extract(OFFICE, "office", pot)
    else:
        with Path(office_pot).open("rb") as fh:
            for message in read_po(fh):
                if message.id:
                    pot.add(message.id, None, [(f"office/{f}", n) for f, n in message.locations],
                            auto_comments=message.auto_comments, context=message.context,
                            flags=message.flags)
    return pot


def po_path(locale: str) -> Path:
    return HERE / locale / "LC_MESSAGES" / "messages.po"


def load(locale: str) -> Catalog:
    with po_path(locale).open("rb") as fh:
        return read_po(fh, locale=locale)


def save(catalog: Catalog, locale: str) -> None:
    path = po_path(locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    write_po(buf, catalog, width=100, sort_output=True, include_previous=False)
    path.write_bytes(buf.getvalue())


def update(office_pot: Path | None = None) -> None:
    """Add new msgids (no fuzzy guessing); msgids no longer used stay, harmlessly."""
    for locale in LOCALES:
        pot = template(include_fab=(locale == "zh"), office_pot=office_pot)
        catalog = load(locale) if po_path(locale).exists() else Catalog(locale=locale)
        kept = {m.id: m for m in catalog if m.id}
        if po_path(locale).exists():
            pot.creation_date = catalog.creation_date  # no header churn on every update
        catalog.update(pot, no_fuzzy_matching=True, update_header_comment=False)
        for msgid, message in kept.items():  # keep what update() would make obsolete
            if msgid not in catalog:
                catalog[msgid] = message
        catalog.obsolete.clear()
        for message in catalog:
            if message.id and not message.string and isinstance(message.id, str) and (
                    (locale == "zh") == bool(CHINESE.search(message.id))):
                message.string = message.id  # written in the catalogue's language already
        save(catalog, locale)
        print(f"{po_path(locale).relative_to(OFFICE.parent)}: "
              f"{len(untranslated(catalog))} untranslated")


def untranslated(catalog: Catalog) -> list[str]:
    return [str(m.id) for m in catalog if m.id and (not m.string or m.fuzzy)]


def compile_all() -> None:
    for locale in LOCALES:
        catalog = load(locale)
        with po_path(locale).with_suffix(".mo").open("wb") as fh:
            write_mo(fh, catalog)  # fuzzy entries are left out, as `pybabel compile` does
        print(f"{po_path(locale).with_suffix('.mo').relative_to(OFFICE.parent)}: compiled")


def stale(locale: str) -> list[str]:
    """msgids whose compiled translation differs from the .po (an un-recompiled edit)."""
    catalog = load(locale)
    mo_path = po_path(locale).with_suffix(".mo")
    if not mo_path.exists():
        return ["<no .mo>"]
    with mo_path.open("rb") as fh:
        mo = read_mo(fh)
    want = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    have = {m.id: m.string for m in mo if m.id}
    return sorted(str(k) for k in want.keys() | have.keys() if want.get(k) != have.get(k))


def check() -> int:
    problems = 0
    for locale in LOCALES:
        for msgid in stale(locale):
            print(f"{locale}: .mo out of date for {msgid!r} (run: catalog.py compile)")
            problems += 1
    for locale in LOCALES:
        for msgid in untranslated(load(locale)):
            print(f"{locale}: untranslated or fuzzy: {msgid!r}")
            problems += 1
    return 1 if problems else 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "update":
        update(Path(sys.argv[2]) if len(sys.argv) > 2 else None)
    elif command == "compile":
        compile_all()
    elif command == "check":
        sys.exit(check())
    else:
        sys.exit(__doc__)
