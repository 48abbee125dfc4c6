"""What an uploaded file must be before anything parses it: a zip-based document (xlsx, docx)
that unpacks to a sane size, at a sane ratio, with no XML entity declarations; an image that
decodes as the image it claims to be.

Shared by the xlsx import (kit/io/read.py) and the task evidence (services/evidence.py): a
300 MB padding member, a 400 MB zip bomb, an XXE or billion-laughs workbook, or a JPEG header
in front of an HTML page is refused with a message saying what is wrong.
"""
from __future__ import annotations

import io
import zipfile

from office.kit.i18n import TranslatableError

MB = 1024 * 1024
MAX_UNPACKED = 200 * MB  # a 200,000-row workbook unpacks to ~120 MB
MAX_RATIO = 100  # ordinary sheet XML compresses 5-20×; a bomb, thousands of times
RATIO_FLOOR = 10 * MB  # small members may compress as they like
XML_HEAD = 4096


class UnsafeUpload(TranslatableError, ValueError):
    """The file is not what a clerk's application writes; the message (a msgid) says why."""


def check_archive(data: bytes, name: str) -> None:
    """Refuse a zip whose contents are too big, too compressed, or declare XML entities."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnsafeUpload("文件「%(name)s」不是有效的压缩格式文档，可能已损坏", name=name) from exc
    total = sum(m.file_size for m in members)
    if total > MAX_UNPACKED:
        raise UnsafeUpload(
            "文件「%(name)s」解压后有 %(size)s MB，超过 %(limit)s MB 的上限："
            "它可能含有与内容无关的填充数据。请在 Excel/WPS/Word 中打开后另存为新文件再上传",
            name=name, size=f"{total / MB:.0f}", limit=MAX_UNPACKED // MB)
    for member in members:
        if member.file_size > RATIO_FLOOR and member.file_size > MAX_RATIO * max(
                member.compress_size, 1):
            raise UnsafeUpload(
                "文件「%(name)s」中的“%(member)s”压缩比异常（%(size)s MB"
                " 压缩为 %(packed)s KB），这不是正常的文档，已拒绝", name=name,
                member=member.filename, size=f"{member.file_size / MB:.0f}",
                packed=f"{member.compress_size / 1024:.0f}")
    for member in members:
        if not member.filename.endswith((".xml", ".rels")):
            continue
        try:
            with archive.open(member) as fh:
                head = fh.read(XML_HEAD)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
            raise UnsafeUpload("文件「%(name)s」中的“%(member)s”无法读取，可能已损坏",
                               name=name, member=member.filename) from exc
        if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
            raise UnsafeUpload(
                "文件「%(name)s」中的“%(member)s”含有 XML 实体声明（DOCTYPE/ENTITY），"
                "Excel、WPS 和 Word 保存的文件不会有；这可能是恶意文件，已拒绝",
                name=name, member=member.filename)


def check_image(data: bytes, name: str, kind: str) -> None:
    """Refuse an image that does not decode as ``kind`` ("JPEG", "PNG") all the way through."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != kind:
                raise UnsafeUpload("文件「%(name)s」不是 %(kind)s 图片", name=name, kind=kind)
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # verify() checks the structure; decoding finds a truncated body
    except UnsafeUpload:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError) as exc:
        raise UnsafeUpload("文件「%(name)s」不是完整的 %(kind)s 图片（无法解码），"
                           "可能已损坏或被改名", name=name, kind=kind) from exc
