"""The county, its townships, the departments and their complaint channels (二.3, 三.4)."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

import sqlalchemy as sa
from marshmallow import ValidationError
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from office.models.base import LabelledEnum, ScopeRule, VersionedMixin, db, enum_column


class TownshipKind(LabelledEnum):
    township = "乡镇"
    street = "街道"
    farm = "场"


class County(VersionedMixin, db.Model):
    __tablename__ = "county"
    __scope__ = ScopeRule(public_read=True)
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "name": "名称", "code": "代码",
    }
    __messages__ = {  # what a clerk is told when a constraint refuses a row
        "uq_county_name": "已有名为「{name}」的县（区）",
        "uq_county_code": "代码「{code}」已被其他县（区）使用",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50), unique=True)
    code: Mapped[str | None] = mapped_column(sa.String(12), unique=True)

    def __str__(self) -> str:
        return self.name


class Township(VersionedMixin, db.Model):
    __tablename__ = "township"
    __table_args__ = (sa.UniqueConstraint("county_id", "name"),)
    __scope__ = ScopeRule(township="id", public_read=True)
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "name": "名称", "kind": "类型", "county": "县（区）",
    }
    __messages__ = {  # what a clerk is told when a constraint refuses a row
        "uq_township_county_id_name": "本县（区）已有同名乡镇（街道、场）「{name}」",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(sa.ForeignKey("county.id"), index=True)
    county: Mapped[County] = relationship()
    name: Mapped[str] = mapped_column(sa.String(50))
    kind: Mapped[TownshipKind] = mapped_column(enum_column(TownshipKind))

    def __str__(self) -> str:
        return self.name


class Department(VersionedMixin, db.Model):
    """An administrative department named in the plan (住建, 公安, 民政 …)."""

    __tablename__ = "department"
    __table_args__ = (sa.UniqueConstraint("county_id", "name"),)
    __scope__ = ScopeRule(department="id", public_read=True)
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "name": "名称", "county": "县（区）", "short_name": "简称", "duties": "职责",
    }
    __messages__ = {  # what a clerk is told when a constraint refuses a row
        "uq_department_county_id_name": "本县（区）已有同名部门「{name}」",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(sa.ForeignKey("county.id"), index=True)
    county: Mapped[County] = relationship()
    name: Mapped[str] = mapped_column(sa.String(50))
    short_name: Mapped[str] = mapped_column(sa.String(10))
    duties: Mapped[str | None] = mapped_column(sa.Text)

    def __str__(self) -> str:
        return self.name


# --- phone numbers of the directory ---------------------------------------------------------
# The one rule: ContactPoint checks it on every assignment (@validates), so forms, grid, xlsx
# import, REST API, services and the CLI all get it; office/services/directory.py wraps it as a
# WTForms validator for the screens.

PHONE_LABELS = {"service_phone": "服务电话", "complaint_phone": "投诉电话"}
PHONE_HINT = ("请填写11位手机号、带区号的固定电话（如0551-1234567，分机写作0551-1234567-801）、"
              "12345等5位服务热线或400/800电话")
# 3-digit area codes are 010 and 02x; every other area code has 4 digits (0551, 0550 …).
_LANDLINE = re.compile(r"(0(?:10|2\d|[3-9]\d{2}))-?(\d{7,8})"
                       r"(?:(?:-|转|分机|ext\.?|x|#|,)(\d{1,6}))?", re.IGNORECASE)
_MOBILE = re.compile(r"(?:\+?86)?(1[3-9]\d{9})")
_HOTLINE = re.compile(r"12\d{3}|96\d{3}")  # 12345, 12315, 12369 …; 96xxx service lines
_TOLL_FREE = re.compile(r"([48]00)(\d{3})(\d{4})")
# Nationally allocated 3-digit special service numbers (公安 110, 消防 119, 急救 120, 交警 122):
# a department may name one as its channel.
_SPECIAL = {"110", "119", "120", "122"}


class PhoneNumberError(ValueError, ValidationError):
    """A bad phone number. A ValueError for forms, xlsx import and the ORM; a marshmallow
    ValidationError so that the REST API (whose schema load assigns the attributes) answers 422
    with the message under the field instead of a 500."""

    def __init__(self, message: str, field: str):
        ValidationError.__init__(self, message, field_name=field)


def normalize_phone(value, field: str = "complaint_phone") -> str | None:
    """The canonical spelling of a directory phone number, or None when blank.

    Accepted: mobile ``1[3-9]`` + 9 digits (``+86`` allowed); landline with area code
    ``0551-1234567`` / ``010-12345678`` with an optional extension (``-801``, ``转801``);
    5-digit hotlines ``12xxx`` / ``96xxx``; ``400``/``800`` numbers; 110/119/120/122.
    Full-width digits, spaces and brackets around the area code are tolerated. Anything else
    raises PhoneNumberError with a Chinese message naming the field.
    """
    if value is None:
        return None
    raw = str(value)
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        return None
    text = re.sub(r"[\s\u00a0]+", "", text)
    text = re.sub(r"[‐‑‒–—―−－]", "-", text)
    text = re.sub(r"^\((0\d{2,3})\)", r"\1-", text)  # (0551)1234567
    digits = text.replace("-", "")
    if m := _MOBILE.fullmatch(digits):
        return m.group(1)
    if _HOTLINE.fullmatch(digits) or digits in _SPECIAL:
        return digits
    if m := _TOLL_FREE.fullmatch(digits):
        return "-".join(m.groups())
    if m := _LANDLINE.fullmatch(text):
        area, local, ext = m.groups()
        return f"{area}-{local}" + (f"-{ext}" if ext else "")
    label = PHONE_LABELS.get(field, "电话")
    raise PhoneNumberError(f"{label}「{raw.strip()}」不是有效的电话号码：{PHONE_HINT}", field)


class ContactPoint(VersionedMixin, db.Model):
    """A named person and phone of one department or one township; shown on every signboard."""

    __tablename__ = "contact_point"
    __table_args__ = (
        sa.CheckConstraint(
            "(department_id IS NULL) <> (township_id IS NULL)", name="one_owner"
        ),
    )
    __scope__ = ScopeRule(township="township_id", department="department_id", public_read=True)
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "township": "乡镇（街道、场）", "department": "部门", "person": "联系人",
        "service_phone": "服务电话", "complaint_phone": "投诉电话", "hours": "受理时间",
        "reported_on": "报送日期", "owner": "所属单位",
    }
    __messages__ = {  # what a clerk is told when a constraint refuses a row
        "ck_contact_point_one_owner": "乡镇（街道、场）与部门须填写且只填写其中一个",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id"), index=True)
    department: Mapped[Department | None] = relationship()
    township_id: Mapped[int | None] = mapped_column(sa.ForeignKey("township.id"), index=True)
    township: Mapped[Township | None] = relationship()
    person: Mapped[str] = mapped_column(sa.String(30))
    service_phone: Mapped[str | None] = mapped_column(sa.String(20))
    complaint_phone: Mapped[str | None] = mapped_column(sa.String(20))
    hours: Mapped[str | None] = mapped_column(sa.String(50))
    reported_on: Mapped[dt.date | None] = mapped_column(sa.Date)

    @validates("service_phone", "complaint_phone")
    def _valid_phone(self, key: str, value: str | None) -> str | None:
        return normalize_phone(value, key)

    @property
    def owner(self):
        return self.department or self.township

    def __str__(self) -> str:
        return f"{self.owner} {self.person}"


class DirectoryRevision(VersionedMixin, db.Model):
    """The directory's version history: a signboard is current when it shows the latest one."""

    __tablename__ = "directory_revision"
    __table_args__ = (sa.UniqueConstraint("county_id", "number"),)
    __scope__ = ScopeRule(public_read=True)
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "note": "备注", "county": "县（区）", "number": "版本号", "effective_on": "生效日期",
    }
    __messages__ = {  # what a clerk is told when a constraint refuses a row
        "uq_directory_revision_county_id_number": "本县（区）已有第{number}版通讯录",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(sa.ForeignKey("county.id"), index=True)
    county: Mapped[County] = relationship()
    number: Mapped[int] = mapped_column()
    effective_on: Mapped[dt.date] = mapped_column(sa.Date)
    note: Mapped[str | None] = mapped_column(sa.String(200))

    def __str__(self) -> str:
        return f"第{self.number}版 ({self.effective_on})"
