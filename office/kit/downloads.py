"""Every file the app hands out goes through here: exports, import templates, error workbooks,
statistics returns, task evidence.

A download is named in Chinese (住宅小区_20201015_0930.xlsx) with RFC 6266/5987's
``filename*=UTF-8''…``, which every current browser uses, and a meaningful ASCII ``filename=``
for the clients that read only that (compound_export_20201015_0930.xlsx, not Werkzeug's
``_.xlsx``). ``tests/test_downloads.py`` checks every download route and that nothing else in
office/ sends a file.
"""
from __future__ import annotations

import os
import re
import unicodedata
from urllib.parse import quote

from flask import send_file

# RFC 5987 attr-char, besides ALPHA / DIGIT and "-._~" (which quote() always keeps)
_ATTR_CHARS = "!#$&+^`|~"
_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._-]+")


def ascii_name(name: str, fallback: str) -> str:
    """The ASCII ``filename=`` of a download: ``name`` itself when it is plain ASCII, else
    ``fallback`` (an English stem the caller gives) with ``name``'s extension."""
    plain = unicodedata.normalize("NFKC", name)
    if plain.isascii():
        safe = _UNSAFE_ASCII.sub("_", plain).strip("._")
        if any(ch.isalnum() for ch in os.path.splitext(safe)[0]):
            return safe
    ext = _UNSAFE_ASCII.sub("", os.path.splitext(plain)[1])
    base = _UNSAFE_ASCII.sub("_", fallback).strip("._") or "download"
    return base if not ext or base.lower().endswith(ext.lower()) else base + ext


def content_disposition(name: str, fallback: str, inline: bool = False) -> str:
    """``attachment; filename="compound_export.xlsx"; filename*=UTF-8''%E4%BD%8F…``"""
    kind = "inline" if inline else "attachment"
    value = f'{kind}; filename="{ascii_name(name, fallback)}"'
    if not name.isascii() or ascii_name(name, fallback) != name:
        value += f"; filename*=UTF-8''{quote(name, safe=_ATTR_CHARS)}"
    return value


def send_download(source, name: str, *, fallback: str, mimetype: str, remove: bool = False,
                  private: bool = False):
    """A file as a download named ``name`` (ASCII ``fallback`` stem for old clients).

    ``source``: a path or a binary file object. ``remove``: ``source`` is a temporary file,
    unlinked at once (the open handle keeps it readable while the response streams).
    ``private``: never stored by a cache (evidence files).
    """
    if remove:
        handle = open(source, "rb")  # noqa: SIM115 - closed by the response
        os.unlink(source)
        source = handle
    response = send_file(source, mimetype=mimetype, max_age=0, download_name=name)
    response.headers["Content-Disposition"] = content_disposition(name, fallback)
    response.headers["X-Content-Type-Options"] = "nosniff"
    if private:
        response.headers["Cache-Control"] = "private, no-store"
    return response
