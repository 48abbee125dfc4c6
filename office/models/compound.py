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
    # the grid's substring search (kit/grid/search.py; the index: a migration)
    __search_index__ = ("name", "community", "address")
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "name": "名称", "kind": "类型", "township": "乡镇（街道、场）", "community": "社区（村）",
        "address": "地址", "households": "户数", "buildings": "楼栋数", "built_year": "建成年份",
        "delivered_on": "交付日期", "developer": "建设单位", "management_mode": "管理方式",
        "company": "物业服务企业",
    }
    __messages__ = {  # what a clerk is told when a constraint refuses a row
        "ck_compound_households_nonneg": "户数不能为负数",
        "uq_compound_township_id_name": "本乡镇（街道、场）已有同名小区「{name}」",
    }

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
