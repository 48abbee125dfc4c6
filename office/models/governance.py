"""Owners' self-government: prep groups, committees, members, supervision, archives (二.1, 三.2)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from office.models.base import LabelledEnum, ScopeRule, VersionedMixin, db, enum_column
from office.models.compound import Compound

IN_TOWNSHIP = ScopeRule(township="compound.township_id")


class PrepGroupStatus(LabelledEnum):
    preparing = "筹备中"
    assembled = "已召开业主大会"
    dissolved = "已解散"


class PrepGroup(VersionedMixin, db.Model):
    """首次业主大会会议筹备组, organised by the township."""

    __tablename__ = "prep_group"
    __scope__ = IN_TOWNSHIP
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "note": "备注", "compound": "小区", "formed_on": "成立日期", "leader": "组长",
        "members_count": "成员人数", "status": "状态", "assembly_on": "业主大会召开日期",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(sa.ForeignKey("compound.id"), index=True)
    compound: Mapped[Compound] = relationship()
    formed_on: Mapped[dt.date] = mapped_column(sa.Date)
    leader: Mapped[str] = mapped_column(sa.String(30))
    members_count: Mapped[int | None] = mapped_column()
    status: Mapped[PrepGroupStatus] = mapped_column(enum_column(PrepGroupStatus))
    assembly_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    note: Mapped[str | None] = mapped_column(sa.Text)

    def __str__(self) -> str:
        return f"{self.compound}筹备组"


class CommitteeKind(LabelledEnum):
    committee = "业主委员会"
    interim = "物业管理委员会"


class OfficeSpace(LabelledEnum):
    dedicated = "专用办公用房"
    temporary = "临时议事场所"
    none = "无"


class OwnersCommittee(VersionedMixin, db.Model):
    """A committee (or interim 物管会) for one term; active from elected_on until dissolved."""

    __tablename__ = "owners_committee"
    __table_args__ = (
        sa.UniqueConstraint("compound_id", "term_no"),
        sa.CheckConstraint("term_end > elected_on", name="term_order"),
    )
    __scope__ = IN_TOWNSHIP
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "kind": "类型", "note": "备注", "compound": "小区", "term_no": "届次",
        "elected_on": "选举日期", "term_end": "任期届满", "filed_on": "备案日期",
        "dissolved_on": "解散日期", "office_space": "办公用房", "office_address": "办公地点",
    }
    __messages__ = {  # what a clerk is told when a constraint refuses a row
        "ck_owners_committee_term_order": "任期届满日期须晚于选举日期",
        "uq_owners_committee_compound_id_term_no": "该小区第{term_no}届业委会已登记",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(sa.ForeignKey("compound.id"), index=True)
    compound: Mapped[Compound] = relationship()
    kind: Mapped[CommitteeKind] = mapped_column(enum_column(CommitteeKind))
    term_no: Mapped[int] = mapped_column(default=1)
    elected_on: Mapped[dt.date] = mapped_column(sa.Date)
    term_end: Mapped[dt.date] = mapped_column(sa.Date)
    filed_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    dissolved_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    office_space: Mapped[OfficeSpace] = mapped_column(enum_column(OfficeSpace))
    office_address: Mapped[str | None] = mapped_column(sa.String(200))
    note: Mapped[str | None] = mapped_column(sa.Text)

    def __str__(self) -> str:
        # in the request's language (a msgid; the enum label too): lists, dropdowns, exports
        return gettext("%(compound)s 第%(n)s届%(kind)s", compound=self.compound, n=self.term_no,
                       kind=gettext(str(self.kind)))


class MemberRole(LabelledEnum):
    chair = "主任"
    vice_chair = "副主任"
    member = "委员"
    alternate = "候补委员"


class CommitteeMember(VersionedMixin, db.Model):
    __tablename__ = "committee_member"
    __scope__ = ScopeRule(township="committee.compound.township_id")
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "name": "姓名", "committee": "业委会", "role": "职务", "phone": "电话",
        "joined_on": "任职日期", "left_on": "离任日期",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(sa.ForeignKey("owners_committee.id"), index=True)
    committee: Mapped[OwnersCommittee] = relationship()
    name: Mapped[str] = mapped_column(sa.String(30))
    role: Mapped[MemberRole] = mapped_column(enum_column(MemberRole))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    joined_on: Mapped[dt.date] = mapped_column(sa.Date)
    left_on: Mapped[dt.date | None] = mapped_column(sa.Date)

    def __str__(self) -> str:
        return gettext("%(name)s(%(role)s)", name=self.name, role=gettext(str(self.role)))


class SupervisionKind(LabelledEnum):
    guidance = "业务指导"
    training = "培训"
    vetting = "资格审查"
    inspection = "监督检查"


class SupervisionRecord(VersionedMixin, db.Model):
    """One act of the plan's 100% 指导、监管 of committee members."""

    __tablename__ = "supervision_record"
    __scope__ = ScopeRule(township="member.committee.compound.township_id")
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "kind": "类型", "note": "备注", "member": "业委会成员", "held_on": "日期",
        "held_by": "实施单位",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("committee_member.id"), index=True)
    member: Mapped[CommitteeMember] = relationship()
    kind: Mapped[SupervisionKind] = mapped_column(enum_column(SupervisionKind))
    held_on: Mapped[dt.date] = mapped_column(sa.Date)
    held_by: Mapped[str | None] = mapped_column(sa.String(50))
    note: Mapped[str | None] = mapped_column(sa.Text)


class ArchiveKind(LabelledEnum):
    minutes = "会议记录"
    decisions = "业主大会决定"
    rules = "议事规则"
    covenant = "管理规约"
    contract = "物业服务合同"
    election = "选举资料"
    filing = "备案资料"
    accounts = "资金账目"
    register = "业主名册"


class ArchiveItem(VersionedMixin, db.Model):
    """One line of the 档案健全 checklist of a committee."""

    __tablename__ = "archive_item"
    __table_args__ = (sa.UniqueConstraint("committee_id", "kind"),)
    __scope__ = ScopeRule(township="committee.compound.township_id")
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "kind": "类型", "note": "备注", "committee": "业委会", "present": "已归档",
        "checked_on": "检查日期",
    }
    __messages__ = {  # what a clerk is told when a constraint refuses a row
        "uq_archive_item_committee_id_kind": "该业委会已有「{kind}」档案记录",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(sa.ForeignKey("owners_committee.id"), index=True)
    committee: Mapped[OwnersCommittee] = relationship()
    kind: Mapped[ArchiveKind] = mapped_column(enum_column(ArchiveKind))
    present: Mapped[bool] = mapped_column(default=False)
    checked_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    note: Mapped[str | None] = mapped_column(sa.String(200))
