"""Statistics returns generated for the city and archived (三.1)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .base import AuditedMixin, LabelledEnum, ScopeRule, db, enum_column


class ReportStatus(LabelledEnum):
    queued = "排队中"
    running = "生成中"
    done = "已完成"
    failed = "失败"


class ReportRun(AuditedMixin, db.Model):
    __tablename__ = "report_run"
    __scope__ = ScopeRule()

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
