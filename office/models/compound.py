"""Residential compounds, the unit of management."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from office.models.base import LabelledEnum, ScopeRule, VersionedMixin, db, enum_column
from office.models.org import Township


class CompoundKind(LabelledEnum):
    commercial = "商品房小区"
    old = "老旧小区"
    resettlement = "安置小区"
    affordable = "保障房小区"
    mixed = "混合小区"


class ManagementMode(LabelledEnum):
    company = "物业服务企业"
    self = "居民自治"
    entrusted = "社区托管"
    none = "无物业管理"


class Compound(VersionedMixin, db.Model):
    __tablename__ = "compound"
    __table_args__ = (
        sa.UniqueConstraint("township_id", "name"),
        sa.CheckConstraint("households >= 0", name="households_nonneg"),
        # the grid's order by households and its deep pages (index-only on PostgreSQL)
        sa.Index("ix_compound_households", "households", "id"),
        # the list's default order (CompoundView.base_order) and its deep pages
        sa.Index("ix_compound_name", "name", "id"),
    )
    __scope__ = ScopeRule(township="township_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(sa.ForeignKey("township.id"), index=True)
    township: Mapped[Township] = relationship()
    name: Mapped[str] = mapped_column(sa.String(80))
    community: Mapped[str | None] = mapped_column(sa.String(50))
    address: Mapped[str | None] = mapped_column(sa.String(200))
    kind: Mapped[CompoundKind] = mapped_column(enum_column(CompoundKind))
    households: Mapped[int] = mapped_column(default=0)
    buildings: Mapped[int | None] = mapped_column()
    built_year: Mapped[int | None] = mapped_column()
    delivered_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    developer: Mapped[str | None] = mapped_column(sa.String(100))
    management_mode: Mapped[ManagementMode] = mapped_column(enum_column(ManagementMode))
    company_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("property_company.id"), index=True
    )
    company = relationship("PropertyCompany")

    def __str__(self) -> str:
        return self.name
