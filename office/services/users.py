"""Creating users on every path (CLI, first start) with the same password rules as the UI."""
from __future__ import annotations

import os
import secrets
import string

import sqlalchemy as sa
from flask import current_app
from flask_appbuilder.exceptions import PasswordComplexityValidationError

from office.kit.i18n import Term, TranslatableError
from office.models import Department, Township, db
from office.roles import ROLE_GRANTS
from office.security import password_validator
from office.services import notifications

SCOPED = {"TownshipClerk": "township", "DepartmentLiaison": "department"}


class UserError(TranslatableError, ValueError):
    """A user cannot be created as asked; the message is a msgid."""


def create_user(username, role, password, township=None, department=None, email=None):
    sm = current_app.appbuilder.sm
    if role != "Admin" and role not in ROLE_GRANTS:
        raise UserError("未知角色：%(role)s（可选：Admin, %(roles)s）", role=role,
                        roles=", ".join(ROLE_GRANTS))
    try:
        password_validator(password)
    except PasswordComplexityValidationError as exc:
        raise UserError(str(exc)) from exc
    if sm.find_user(username=username):
        raise UserError("用户名已存在：%(username)s", username=username)
    needs = SCOPED.get(role)
    if needs == "township" and not township:
        raise UserError("乡镇业务员（TownshipClerk）必须指定 --township")
    if needs == "department" and not department:
        raise UserError("部门联络员（DepartmentLiaison）必须指定 --department")
    if not needs and (township or department):
        raise UserError("%(role)s 覆盖全县，不能指定乡镇或部门", role=role)
    township_row = _one(Township, township, "乡镇") if township else None
    department_row = _one(Department, department, "部门") if department else None
    user = sm.add_user(
        username=username, first_name=username, last_name="", email=email or f"{username}@local",
        role=sm.find_role(role), password=password,
    )
    if not user:
        raise UserError("无法创建用户：%(username)s", username=username)
    user.township_id = township_row.id if township_row else None
    user.department_id = department_row.id if department_row else None
    db.session.commit()
    notifications.deliver_outstanding([user.id])  # the reminders in force, for a new user
    return user


def _one(model, name, label):
    row = db.session.scalar(sa.select(model).where(model.name == name))
    if row is None:
        raise UserError("%(label)s不存在：%(name)s", label=Term(label), name=name)
    return row


def generate_password() -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(14)) + "!"
        try:
            password_validator(candidate)
            return candidate
        except PasswordComplexityValidationError:
            continue


def ensure_admin() -> str | None:
    """Create `admin` if missing; return the password only when it was generated."""
    if current_app.appbuilder.sm.find_user(username="admin"):
        return None
    given = os.environ.get("OFFICE_ADMIN_PASSWORD")
    password = given or generate_password()
    create_user("admin", "Admin", password)
    return None if given else password
