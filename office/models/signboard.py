"""The permanent unified signboard of complaint channels in each compound (二.3)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from office.models.base import ScopeRule, VersionedMixin, db
from office.models.compound import Compound


class Signboard(VersionedMixin, db.Model):
    """A board as installed; it is stale once the directory has a newer revision."""

    __tablename__ = "signboard"
    __table_args__ = (sa.CheckConstraint("directory_version >= 1", name="version_positive"),)
    __scope__ = ScopeRule(township="compound.township_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(sa.ForeignKey("compound.id"), index=True)
    compound: Mapped[Compound] = relationship()
    installed_on: Mapped[dt.date] = mapped_column(sa.Date)
    directory_version: Mapped[int] = mapped_column()
    location: Mapped[str | None] = mapped_column(sa.String(100))
    removed_on: Mapped[dt.date | None] = mapped_column(sa.Date)

    def __str__(self) -> str:
        return f"{self.compound} 公示牌(第{self.directory_version}版)"
