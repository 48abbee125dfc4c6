"""The change log: every write, by any path, old → new."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from office.models.base import LabelledEnum, ScopeRule, db, enum_column, utcnow


class ChangeAction(LabelledEnum):
    insert = "新增"
    update = "修改"
    delete = "删除"
    revert = "撤销"


class ChangeSource(LabelledEnum):
    form = "表单"
    grid = "表格"
    import_ = "导入"
    api = "接口"
    job = "后台任务"
    cli = "命令行"


class ChangeLog(db.Model):
    __tablename__ = "change_log"
    __table_args__ = (sa.Index("ix_change_log_row", "entity", "row_id"),)
    __scope__ = ScopeRule()
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "source": "来源", "at": "时间", "user_id": "用户编号", "username": "用户", "entity": "对象",
        "row_id": "记录编号", "action": "操作", "field": "字段", "old": "原值", "new": "新值",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column()
    username: Mapped[str | None] = mapped_column(sa.String(64))
    source: Mapped[ChangeSource] = mapped_column(enum_column(ChangeSource))
    entity: Mapped[str] = mapped_column(sa.String(40))
    row_id: Mapped[int] = mapped_column()
    action: Mapped[ChangeAction] = mapped_column(enum_column(ChangeAction))
    field: Mapped[str | None] = mapped_column(sa.String(40))
    old: Mapped[str | None] = mapped_column(sa.Text)
    new: Mapped[str | None] = mapped_column(sa.Text)
