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
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "compound": "小区", "installed_on": "安装日期", "directory_version": "通讯录版本",
        "location": "位置", "removed_on": "拆除日期",
    }
    __messages__ = {  # what a clerk is told when a constraint refuses a row
        "ck_signboard_version_positive": "通讯录版本须为正整数（从1开始）",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(sa.ForeignKey("compound.id"), index=True)
    compound: Mapped[Compound] = relationship()
    installed_on: Mapped[dt.date] = mapped_column(sa.Date)
    directory_version: Mapped[int] = mapped_column()
    location: Mapped[str | None] = mapped_column(sa.String(100))
    removed_on: Mapped[dt.date | None] = mapped_column(sa.Date)

    def __str__(self) -> str:
        return f"{self.compound} 公示牌(第{self.directory_version}版)"
