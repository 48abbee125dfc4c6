"""FAB's user, extended with the township or department that bounds the user's rows."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_appbuilder.security.sqla.models import User
from sqlalchemy.orm import Mapped, mapped_column, relationship

from office.models.org import Department, Township


class OfficeUser(User):
    __tablename__ = "ab_user"
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "township": "乡镇（街道、场）", "department": "部门", "username": "用户",
    }

    township_id: Mapped[int | None] = mapped_column(sa.ForeignKey("township.id"), nullable=True)
    township: Mapped[Township | None] = relationship(foreign_keys=[township_id])
    department_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("department.id"), nullable=True
    )
    department: Mapped[Department | None] = relationship(foreign_keys=[department_id])
    locked_until: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    # Advanced by logout, a password change or reset, deactivation and a change of roles or
    # scope (office/security.py): every session cookie and token issued before is dead.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
