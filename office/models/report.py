"""Statistics returns generated for the city and archived (三.1)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from office.models.base import AuditedMixin, LabelledEnum, ScopeRule, db, enum_column
from office.models.campaign import Campaign


class ReportStatus(LabelledEnum):
    queued = "排队中"
    running = "生成中"
    done = "已完成"
    failed = "失败"


class ReportTrigger(LabelledEnum):
    manual = "手动发起"
    scheduled = "每月定时"


class SubmissionChannel(LabelledEnum):
    http = "网络报送"
    manual = "线下报送（登记回执）"


class SubmissionStatus(LabelledEnum):
    sending = "报送中"
    done = "已报送"
    failed = "报送失败"


class ReportRun(AuditedMixin, db.Model):
    """One generation of the return. The archived file is written once and never rewritten:
    generating again makes a new run (office/services/report/build.py)."""

    __tablename__ = "report_run"
    __scope__ = ScopeRule()
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "status": "状态", "campaign": "工作方案", "progress": "进度(%)", "as_of": "统计截止日期",
        "requested_by": "发起人", "started_at": "开始时间", "finished_at": "完成时间",
        "sha256": "SHA-256", "error": "错误信息", "submitted_at": "上报时间",
        "receipt_no": "回执编号", "file_path": "文件",
        "auto_retries": "自动重试次数", "retry_log": "自动重试记录",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(sa.Date)
    status: Mapped[ReportStatus] = mapped_column(enum_column(ReportStatus))
    requested_by: Mapped[str | None] = mapped_column(sa.String(64))
    job_id: Mapped[str | None] = mapped_column(sa.String(64))
    progress: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[dt.datetime | None] = mapped_column()
    finished_at: Mapped[dt.datetime | None] = mapped_column()
    file_path: Mapped[str | None] = mapped_column(sa.String(300))
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    error: Mapped[str | None] = mapped_column(sa.Text)
    submitted_at: Mapped[dt.datetime | None] = mapped_column()
    receipt_no: Mapped[str | None] = mapped_column(sa.String(64))
    # --- added with the report builder (migration 20261126_5316c4aeb121)
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaign.id"))
    campaign: Mapped[Campaign | None] = relationship()
    trigger: Mapped[ReportTrigger | None] = mapped_column(enum_column(ReportTrigger))
    reviewer: Mapped[str | None] = mapped_column(sa.String(64))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column()
    worker: Mapped[str | None] = mapped_column(sa.String(120))  # host:pid running it
    file_size: Mapped[int | None] = mapped_column(sa.BigInteger)
    submission_channel: Mapped[SubmissionChannel | None] = mapped_column(
        enum_column(SubmissionChannel))
    submission_status: Mapped[SubmissionStatus | None] = mapped_column(
        enum_column(SubmissionStatus))
    submitted_by: Mapped[str | None] = mapped_column(sa.String(64))
    submission_error: Mapped[str | None] = mapped_column(sa.Text)
    submission_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    submission_job_id: Mapped[str | None] = mapped_column(sa.String(64))
    # --- automatic retries of attempts lost to a dead worker (office/services/report/retry.py)
    auto_retries: Mapped[int] = mapped_column(default=0, server_default="0")
    retry_log: Mapped[str | None] = mapped_column(sa.Text)  # one line per retry: time, reason

    def __str__(self) -> str:
        return f"统计报表 {self.as_of} 第{self.id}号"
