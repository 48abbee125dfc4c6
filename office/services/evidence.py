"""Evidence files (佐证材料) of task progress updates: checked, stored, served.

* Types: pdf, jpg/jpeg, png, docx, xlsx - by extension AND by content (the file's first bytes;
  a docx/xlsx must be a zip holding the part its type needs, unpacking to a sane size with no
  XML entities; an image must decode - kit/uploads.py), so a renamed executable, a zip bomb or
  an HTML page behind a JPEG header is refused whatever it is called. The stored content type
  comes from this table, never from the browser.
* Size: ``TASK_EVIDENCE_MAX_MB`` (app config, default 10) per file, at most
  ``TASK_EVIDENCE_MAX_FILES`` (5) files per update; an empty file is refused.
* Storage: ``UPLOAD_DIR/task-evidence/<32 random hex>.<ext>``. UPLOAD_DIR is under instance/
  by default and must not be inside the app's static folder (checked before writing): files
  are only ever served by the scoped download view, with the original name as the download
  name and ``X-Content-Type-Options: nosniff``.
* All files of an update are checked before any is written; if the database write fails the
  written files are removed again (``discard``).
"""
from __future__ import annotations

import hashlib
import io
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from office.kit.i18n import N_, Term, TranslatableError
from office.kit.uploads import UnsafeUpload, check_archive, check_image

SUBDIR = "task-evidence"
DEFAULT_MAX_MB = 10
DEFAULT_MAX_FILES = 5

TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ALLOWED_TEXT = N_("PDF、JPG、PNG、Word（docx）、Excel（xlsx）")
IMAGES = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG"}  # decoded before they are accepted
ACCEPT = ",".join(f".{ext}" for ext in TYPES)  # the file input's accept attribute


class EvidenceError(TranslatableError, ValueError):
    """An upload refused; the message is a msgid."""


@dataclass
class Checked:
    filename: str
    ext: str
    content_type: str
    data: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


def max_bytes() -> int:
    return int(float(current_app.config.get("TASK_EVIDENCE_MAX_MB", DEFAULT_MAX_MB))
               * 1024 * 1024)


def max_files() -> int:
    return int(current_app.config.get("TASK_EVIDENCE_MAX_FILES", DEFAULT_MAX_FILES))


def limits_text() -> str:
    mb = max_bytes() / 1024 / 1024
    return f"支持 {ALLOWED_TEXT}，每个文件不超过 {mb:g} MB，每次最多 {max_files()} 个"


def _content_matches(ext: str, data: bytes) -> bool:
    if ext == "pdf":
        return data[:5] == b"%PDF-"
    if ext in ("jpg", "jpeg"):
        return data[:3] == b"\xff\xd8\xff"
    if ext == "png":
        return data[:8] == b"\x89PNG\r\n\x1a\n"
    if ext in ("docx", "xlsx"):
        if data[:4] != b"PK\x03\x04":
            return False
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return False
        part = "word/document.xml" if ext == "docx" else "xl/workbook.xml"
        return "[Content_Types].xml" in names and part in names
    return False


def _display_name(filename: str) -> str:
    # Only the last path component, without control characters, at most 200 characters.
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if len(name) > 200:
        stem, _, ext = name.rpartition(".")
        name = stem[: 199 - len(ext)] + "." + ext
    return name


def check(files) -> list[Checked]:
    """Check uploaded files (werkzeug FileStorage); empty file inputs are ignored."""
    files = [f for f in files if f is not None and (f.filename or "").strip()]
    if len(files) > max_files():
        raise EvidenceError("每次最多上传 %(max)s 个佐证材料，本次选择了 %(n)s 个",
                            max=max_files(), n=len(files))
    limit, result = max_bytes(), []
    for storage in files:
        name = _display_name(storage.filename)
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if ext not in TYPES:
            raise EvidenceError("文件「%(name)s」的类型不允许上传：只能上传 %(allowed)s 文件",
                                name=name, allowed=Term(ALLOWED_TEXT))
        data = storage.stream.read(limit + 1)
        if len(data) > limit:
            raise EvidenceError(
                "文件「%(name)s」超过 %(mb)s MB 的大小限制，请压缩或拆分后再上传", name=name,
                mb=f"{limit / 1024 / 1024:g}")
        if not data:
            raise EvidenceError("文件「%(name)s」是空文件", name=name)
        if not _content_matches(ext, data):
            raise EvidenceError("文件「%(name)s」的内容与扩展名 .%(ext)s 不符，可能已损坏或被改名",
                                name=name, ext=ext)
        try:  # a zip bomb, an XXE document, a JPEG header in front of an HTML page
            if ext in ("docx", "xlsx"):
                check_archive(data, name)
            elif ext in IMAGES:
                check_image(data, name, IMAGES[ext])
        except UnsafeUpload as exc:
            raise EvidenceError(exc) from None
        result.append(Checked(name, ext, TYPES[ext], data, hashlib.sha256(data).hexdigest()))
    return result


def folder() -> Path:
    base = Path(current_app.config["UPLOAD_DIR"]).resolve()
    static = Path(current_app.static_folder).resolve() if current_app.static_folder else None
    if static is not None and (base == static or static in base.parents):
        raise RuntimeError(f"UPLOAD_DIR ({base}) 不能位于静态文件目录内：上传的文件会被直接访问")
    path = base / SUBDIR
    path.mkdir(parents=True, exist_ok=True)
    return path


def write(checked: Checked) -> str:
    """Store the file under a random name; returns that name."""
    stored = f"{secrets.token_hex(16)}.{checked.ext}"
    target = folder() / stored
    with open(target, "xb") as fh:  # never overwrite
        fh.write(checked.data)
    return stored


def path_of(stored_name: str) -> Path:
    """The file of a stored name; the name comes from the database, the check is belt and
    braces against a path in it."""
    if "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
        raise FileNotFoundError(stored_name)
    return folder() / stored_name


def discard(stored_names) -> None:
    for name in stored_names:
        try:
            path_of(name).unlink(missing_ok=True)
        except OSError:
            current_app.logger.warning("could not remove evidence file %s", name)
