"""The plan (工作方案): its provincial settings, dated targets and steps assigned as tasks (四).

A Step is one line of the plan's 四 (实施步骤) with its deadline and whom it goes to; the
bureau turns a step into one Task per township and/or named department in one action
(office/services/tasks.py). A task made by hand, or by the demo seeder, has no step.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from office.models.base import (
    AuditedMixin,
    LabelledEnum,
    ScopeRule,
    VersionedMixin,
    db,
    enum_column,
)
from office.models.org import County, Department, Township


class Indicator(LabelledEnum):
    committee_coverage = "业委会组建率"
    office_space = "办公用房保障率"
    member_supervision = "成员指导监管率"
    contract_signed = "物业合同签订率"
    fee_disclosure = "收费公示率"
    signboard_current = "公示牌覆盖率"
    contact_reported = "投诉电话报送率"


class Campaign(VersionedMixin, db.Model):
    """Settings that provinces differ on live here, never as constants in code."""

    __tablename__ = "campaign"
    __table_args__ = (
        sa.UniqueConstraint("county_id", "year"),
        sa.CheckConstraint("ends_on >= starts_on", name="period_order"),
        sa.CheckConstraint(
            "committee_min_size >= 3 AND committee_max_size >= committee_min_size",
            name="committee_size",
        ),
    )
    __scope__ = ScopeRule(public_read=True)
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "name": "名称", "county": "县（区）", "starts_on": "起始日期", "ends_on": "截止日期",
        "year": "年度", "interim_counts": "物管会计入组建率",
        "disclosure_interval_days": "公示间隔(天)", "reelection_warning_days": "换届提醒(天)",
        "filing_days": "备案时限(天)", "term_max_years": "最长任期(年)",
        "committee_min_size": "业委会最少人数", "committee_max_size": "业委会最多人数",
    }
    __messages__ = {  # what a clerk is told when a constraint refuses a row
        "ck_campaign_period_order": "截止日期不能早于起始日期",
        "ck_campaign_committee_size": "业委会最少人数不少于3人，最多人数不少于最少人数",
        "uq_campaign_county_id_year": "本县（区）{year}年度已有工作方案",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(sa.ForeignKey("county.id"), index=True)
    county: Mapped[County] = relationship()
    name: Mapped[str] = mapped_column(sa.String(100))
    year: Mapped[int] = mapped_column()
    starts_on: Mapped[dt.date] = mapped_column(sa.Date)
    ends_on: Mapped[dt.date] = mapped_column(sa.Date)
    interim_counts: Mapped[bool] = mapped_column(default=False)
    disclosure_interval_days: Mapped[int] = mapped_column(default=183)
    reelection_warning_days: Mapped[int] = mapped_column(default=90)
    filing_days: Mapped[int] = mapped_column(default=30)
    term_max_years: Mapped[int] = mapped_column(default=5)
    committee_min_size: Mapped[int] = mapped_column(default=5)
    committee_max_size: Mapped[int] = mapped_column(default=11)

    def __str__(self) -> str:
        return self.name


class Target(VersionedMixin, db.Model):
    __tablename__ = "target"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "indicator", "due_on"),
        sa.CheckConstraint("threshold > 0 AND threshold <= 100", name="threshold_percent"),
    )
    __scope__ = ScopeRule(public_read=True)
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "campaign": "工作方案", "indicator": "考核指标", "threshold": "目标值(%)",
        "due_on": "完成时限",
    }
    __messages__ = {  # what a clerk is told when a constraint refuses a row
        "ck_target_threshold_percent": "目标值须大于0且不超过100",
        "uq_target_campaign_id_indicator_due_on": "该工作方案已有同一考核指标、同一完成时限的目标",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    campaign: Mapped[Campaign] = relationship()
    indicator: Mapped[Indicator] = mapped_column(enum_column(Indicator))
    threshold: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))  # percent
    due_on: Mapped[dt.date] = mapped_column(sa.Date)

    def __str__(self) -> str:
        return f"{self.indicator} ≥{self.threshold}% ({self.due_on})"


# The departments a step names (公示牌: 住建 only). A surrogate id like every business table.
step_department = sa.Table(
    "campaign_step_department",
    db.Model.metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("step_id", sa.ForeignKey("campaign_step.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("department_id", sa.ForeignKey("department.id", ondelete="CASCADE"),
              nullable=False),
    sa.UniqueConstraint("step_id", "department_id"),
)


class Step(VersionedMixin, db.Model):
    """One step of the plan (四.1 …) with its deadline and whom its tasks go to: every township
    (乡镇、街道、场), every department, and/or the named departments."""

    __tablename__ = "campaign_step"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "step_no", "title",
                            info={"message": "该工作方案的第{step_no}步已有同名事项「{title}」"}),
    )
    __scope__ = ScopeRule(public_read=True)
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "note": "说明", "campaign": "工作方案", "indicator": "考核指标", "due_on": "完成时限",
        "step_no": "步骤（四.N）", "title": "事项", "to_townships": "下达各乡镇（街道、场）",
        "to_all_departments": "下达全部部门", "departments": "指定部门",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    campaign: Mapped[Campaign] = relationship()
    step_no: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))
    due_on: Mapped[dt.date] = mapped_column(sa.Date)
    to_townships: Mapped[bool] = mapped_column(default=False)
    to_all_departments: Mapped[bool] = mapped_column(default=False)
    departments: Mapped[list[Department]] = relationship(secondary=step_department,
                                                         order_by="Department.id")
    indicator: Mapped[Indicator | None] = mapped_column(enum_column(Indicator))
    note: Mapped[str | None] = mapped_column(sa.Text)
    # Deleting a step keeps its tasks (they lose the link): the ORM nulls task.step_id.
    tasks: Mapped[list[Task]] = relationship(back_populates="step")

    def __str__(self) -> str:
        return f"四.{self.step_no} {self.title}（{self.due_on}）"


class TaskStatus(LabelledEnum):
    todo = "未开始"
    doing = "进行中"
    done = "已完成"


class Task(VersionedMixin, db.Model):
    """One step of the plan for one township or one department, with its due date."""

    __tablename__ = "task"
    __table_args__ = (
        sa.CheckConstraint(
            "(department_id IS NULL) <> (township_id IS NULL)", name="one_owner"
        ),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name="progress_percent"),
        sa.Index("ix_task_due", "due_on", "status"),
        # A step gives each township and each department at most one task (generation is
        # idempotent; NULLs never collide, so hand-made tasks are free).
        sa.UniqueConstraint("step_id", "township_id",
                            info={"message": "该步骤已为这个乡镇（街道、场）生成过任务"}),
        sa.UniqueConstraint("step_id", "department_id",
                            info={"message": "该步骤已为这个部门生成过任务"}),
    )
    __scope__ = ScopeRule(township="township_id", department="department_id")
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "township": "乡镇（街道、场）", "department": "部门", "owner": "所属单位", "status": "状态",
        "campaign": "工作方案", "indicator": "考核指标", "due_on": "完成时限", "step_no": "步骤",
        "title": "任务", "progress": "进度(%)", "done_on": "完成日期", "step": "实施步骤",
        "evidence": "佐证材料", "reminders": "到期提醒", "notifications": "站内提醒",
    }
    __messages__ = {  # what a clerk is told when a constraint refuses a row
        "ck_task_one_owner": "乡镇（街道、场）与部门须填写且只填写其中一个",
        "ck_task_progress_percent": "进度须在0到100之间",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    campaign: Mapped[Campaign] = relationship()
    step_no: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))
    township_id: Mapped[int | None] = mapped_column(sa.ForeignKey("township.id"), index=True)
    township: Mapped[Township | None] = relationship()
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id"), index=True)
    department: Mapped[Department | None] = relationship()
    indicator: Mapped[Indicator | None] = mapped_column(enum_column(Indicator))
    due_on: Mapped[dt.date] = mapped_column(sa.Date)
    status: Mapped[TaskStatus] = mapped_column(enum_column(TaskStatus), default=TaskStatus.todo)
    progress: Mapped[int] = mapped_column(default=0)
    done_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    step_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaign_step.id", ondelete="SET NULL"), index=True)
    step: Mapped[Step | None] = relationship(back_populates="tasks")

    @property
    def owner(self):
        return self.township or self.department

    def __str__(self) -> str:
        return f"{self.owner} · {self.title}"


class TaskUpdate(VersionedMixin, db.Model):
    __tablename__ = "task_update"
    __scope__ = ScopeRule(township="task.township_id", department="task.department_id")
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "note": "备注", "progress": "进度(%)", "task": "任务", "noted_on": "日期",
        "evidence_path": "佐证材料", "author": "填报人", "evidence": "佐证材料文件",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("task.id"), index=True)
    task: Mapped[Task] = relationship()
    noted_on: Mapped[dt.date] = mapped_column(sa.Date)
    progress: Mapped[int] = mapped_column(default=0)
    note: Mapped[str | None] = mapped_column(sa.Text)
    evidence_path: Mapped[str | None] = mapped_column(sa.String(300))
    author: Mapped[str | None] = mapped_column(sa.String(64))


class TaskEvidence(AuditedMixin, db.Model):
    """A file attached to a progress update (佐证材料). The file lives under UPLOAD_DIR with a
    random name (office/services/evidence.py); the original name is only shown and offered
    as the download name."""

    __tablename__ = "task_evidence"
    __scope__ = ScopeRule(township="task.township_id", department="task.department_id")
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "task": "任务", "sha256": "SHA-256", "update": "进展记录", "filename": "文件名",
        "stored_name": "存储名", "content_type": "文件类型", "size": "大小(字节)",
        "uploaded_by": "上传人",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("task.id", ondelete="CASCADE"),
                                         index=True)
    task: Mapped[Task] = relationship(
        backref=backref("evidence", cascade="all, delete-orphan", order_by="TaskEvidence.id"))
    update_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("task_update.id", ondelete="CASCADE"), index=True)
    update: Mapped[TaskUpdate | None] = relationship(
        backref=backref("evidence", cascade="all", order_by="TaskEvidence.id"))
    filename: Mapped[str] = mapped_column(sa.String(200))        # as uploaded, for display
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)  # random, on disk
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by: Mapped[str | None] = mapped_column(sa.String(64))

    def __str__(self) -> str:
        return self.filename
