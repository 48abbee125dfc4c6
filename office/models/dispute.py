"""Dispute mediation and inspection findings (三.2, 四.1)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from office.models.base import LabelledEnum, ScopeRule, VersionedMixin, db, enum_column
from office.models.compound import Compound

IN_TOWNSHIP = ScopeRule(township="compound.township_id")


class DisputeParties(LabelledEnum):
    owner_company = "业主与物业服务企业"
    owner_committee = "业主与业委会"
    committee_company = "业委会与物业服务企业"
    owner_developer = "业主与建设单位"
    owner_owner = "业主之间"
    user_company = "物业使用人与物业服务企业"


class DisputeStatus(LabelledEnum):
    open = "已受理"
    mediating = "调解中"
    resolved = "已调解"
    referred = "已移交"


class Dispute(VersionedMixin, db.Model):
    __tablename__ = "dispute"
    __scope__ = IN_TOWNSHIP
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "compound": "小区", "status": "状态", "received_on": "受理日期", "parties": "纠纷当事方",
        "summary": "纠纷概况", "resolved_on": "办结日期", "mediator": "调解人",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(sa.ForeignKey("compound.id"), index=True)
    compound: Mapped[Compound] = relationship()
    received_on: Mapped[dt.date] = mapped_column(sa.Date)
    parties: Mapped[DisputeParties] = mapped_column(enum_column(DisputeParties))
    summary: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[DisputeStatus] = mapped_column(enum_column(DisputeStatus))
    resolved_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    mediator: Mapped[str | None] = mapped_column(sa.String(30))


class FindingSource(LabelledEnum):
    self_inspection = "自查自检"
    bureau = "县住建局督查"
    city = "市检查组"


class FindingStatus(LabelledEnum):
    open = "待整改"
    rectifying = "整改中"
    closed = "已整改"


class Finding(VersionedMixin, db.Model):
    __tablename__ = "finding"
    __scope__ = IN_TOWNSHIP
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "compound": "小区", "status": "状态", "source": "来源", "found_on": "发现日期",
        "description": "问题描述", "deadline": "整改时限", "closed_on": "销号日期",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(sa.ForeignKey("compound.id"), index=True)
    compound: Mapped[Compound] = relationship()
    source: Mapped[FindingSource] = mapped_column(enum_column(FindingSource))
    found_on: Mapped[dt.date] = mapped_column(sa.Date)
    description: Mapped[str] = mapped_column(sa.Text)
    deadline: Mapped[dt.date | None] = mapped_column(sa.Date)
    status: Mapped[FindingStatus] = mapped_column(enum_column(FindingStatus))
    closed_on: Mapped[dt.date | None] = mapped_column(sa.Date)
