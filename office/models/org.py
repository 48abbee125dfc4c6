"""The county, its townships, the departments and their complaint channels (二.3, 三.4)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import LabelledEnum, ScopeRule, VersionedMixin, db, enum_column


class TownshipKind(LabelledEnum):
    township = "乡镇"
    street = "街道"
    farm = "场"


class County(VersionedMixin, db.Model):
    __tablename__ = "county"
    __scope__ = ScopeRule(public_read=True)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50), unique=True)
    code: Mapped[str | None] = mapped_column(sa.String(12), unique=True)

    def __str__(self) -> str:
        return self.name


class Township(VersionedMixin, db.Model):
    __tablename__ = "township"
    __table_args__ = (sa.UniqueConstraint("county_id", "name"),)
    __scope__ = ScopeRule(township="id", public_read=True)

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

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(sa.ForeignKey("county.id"), index=True)
    county: Mapped[County] = relationship()
    name: Mapped[str] = mapped_column(sa.String(50))
    short_name: Mapped[str] = mapped_column(sa.String(10))
    duties: Mapped[str | None] = mapped_column(sa.Text)

    def __str__(self) -> str:
        return self.name


class ContactPoint(VersionedMixin, db.Model):
    """A named person and phone of one department or one township; shown on every signboard."""

    __tablename__ = "contact_point"
    __table_args__ = (
        sa.CheckConstraint(
            "(department_id IS NULL) <> (township_id IS NULL)", name="one_owner"
        ),
    )
    __scope__ = ScopeRule(township="township_id", department="department_id", public_read=True)

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

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(sa.ForeignKey("county.id"), index=True)
    county: Mapped[County] = relationship()
    number: Mapped[int] = mapped_column()
    effective_on: Mapped[dt.date] = mapped_column(sa.Date)
    note: Mapped[str | None] = mapped_column(sa.String(200))

    def __str__(self) -> str:
        return f"第{self.number}版 ({self.effective_on})"
