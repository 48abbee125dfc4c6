"""Between the preview and the commit: the validated upload kept server-side, then saved in one
transaction - all rows or none.

The upload is kept as JSON under instance/uploads/import/<token>.json, the token random and the
file bound to the user and the screen that made it; it expires after a day. The commit builds
the records from the validated values (no second parse), checks that every record to update is
still the version the preview saw, adds and updates through the ORM (so the audit hook logs
every row, as 导入) and commits once. If the database refuses anything, everything is rolled
back and the rows are tried one by one inside savepoints (rolled back too) to tell the clerk
which row and which rule - nothing is ever half-saved.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import time
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from werkzeug.exceptions import HTTPException

from office.kit.audit.log import audit_context
from office.kit.columns import RELATION, header_key
from office.kit.i18n import error_text
from office.kit.io.importer import ImportSpec
from office.kit.io.rules import message
from office.kit.refs import load_objects
from office.kit.rowform import VersionConflict, check_version
from office.kit.values import from_store
from office.models import ChangeSource, db

EXPIRY_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
ADD, UPSERT = "add", "upsert"


class ImportRowsError(Exception):
    """The commit was refused; `errors` are (Excel row, column, message)."""

    def __init__(self, errors, message: str = ""):
        super().__init__(message or f"{len(errors)} 行无法保存")
        self.errors = errors
        self.message = message


# ---------------------------------------------------------------- keeping the upload


def upload_dir() -> Path:
    base = Path(current_app.config.get("UPLOAD_DIR") or Path(current_app.instance_path) /
                "uploads")
    path = base / "import"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sweep(directory: Path) -> None:
    cutoff = time.time() - EXPIRY_SECONDS
    for old in [*directory.glob("*.json"), *directory.glob("*.committing")]:
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass


def save_plan(plan: dict) -> str:
    token = secrets.token_urlsafe(24)
    save_plan_as(token, plan)
    return token


def save_plan_as(token: str, plan: dict) -> None:
    directory = upload_dir()
    _sweep(directory)
    path = directory / f"{token}.json"
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:  # dumps: the C encoder, dump is pure Python
        fh.write(json.dumps(plan, ensure_ascii=False, separators=(",", ":")))
    os.replace(tmp, path)


def load_plan(token: str, user_id, view_name: str) -> dict | None:
    """The kept upload, only for the user and the screen that made it (else None → 404)."""
    if not _TOKEN.match(token or ""):
        return None
    path = upload_dir() / f"{token}.json"
    try:
        if time.time() - path.stat().st_mtime > EXPIRY_SECONDS:
            return None
        plan = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if plan.get("user_id") != user_id or plan.get("view") != view_name:
        return None
    return plan


def claim_plan(token: str, user_id, view_name: str) -> dict | None:
    """The kept upload, taken for a commit: renamed first (atomic), so a second click or a
    second tab committing the same upload finds nothing instead of saving the rows twice."""
    plan = load_plan(token, user_id, view_name)
    if plan is None:
        return None
    path = upload_dir() / f"{token}.json"
    try:
        os.rename(path, path.with_suffix(".committing"))
    except OSError:
        return None
    return plan


def release_plan(token: str) -> None:
    if _TOKEN.match(token or ""):
        try:
            (upload_dir() / f"{token}.committing").unlink()
        except OSError:
            pass


# ---------------------------------------------------------------- database messages


def _refusal(spec: ImportSpec, exc: Exception, values: dict) -> tuple[str | None, str]:
    """(column, message) for a database refusal of one row: the constraint's last column the
    file fills, and the sentence the forms give for it."""
    text = _constraint_message(spec, exc, values)
    constraint = _constraint_in(spec, exc)
    if constraint is None:
        return None, text
    keys = ([c.key for c in constraint.columns] if isinstance(constraint, sa.UniqueConstraint)
            else re.findall(r"[A-Za-z_][A-Za-z0-9_]*", str(constraint.sqltext)))
    named = [c.name for c in spec.cols if c.name in values
             and (c.fk if c.kind == RELATION else c.name) in keys]
    return (named[-1] if named else None), text


def _constraint_in(spec: ImportSpec, exc: Exception):
    text = str(getattr(exc, "orig", exc))
    table = spec.model.__table__
    for constraint in table.constraints:
        name = constraint.name
        if not name or not isinstance(name, str):
            continue
        short = name.split("_", 2)[-1] if name.startswith(("ck_", "uq_")) else name
        matched = name in text or (isinstance(constraint, sa.CheckConstraint) and short in text)
        if not matched and isinstance(constraint, sa.UniqueConstraint) and "UNIQUE" in text:
            cols = ", ".join(f"{table.name}.{c.name}" for c in constraint.columns)
            matched = cols in text
        if matched:
            return constraint
    return None


def _constraint_message(spec: ImportSpec, exc: Exception, values: dict) -> str:
    """The Chinese sentence for a database refusal: the one the forms give for the constraint
    named in the error (office/kit/validation.py), else the driver's first line."""
    constraint = _constraint_in(spec, exc)
    if constraint is not None:
        return message(constraint, spec.model, values)
    text = str(getattr(exc, "orig", exc))
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"数据库拒绝保存：{first[:200]}"


# ---------------------------------------------------------------- the commit


def _attr_values(spec: ImportSpec, values: dict) -> dict:
    out = {}
    for name, stored in values.items():
        col = spec.col(name)
        out[col.fk if col.kind == RELATION else name] = from_store(col, stored)
    return out


def _apply(spec: ImportSpec, outcome: dict, existing: dict, errors: list):
    """Make (or change) the record of one validated row; None when refused."""
    view, row = spec.view, outcome["row"]
    try:
        if outcome["action"] == "new":
            item = spec.model(**_attr_values(spec, outcome["values"]))
            view.pre_add(item)
            db.session.add(item)
            return item
        item = existing.get(outcome["id"])
        if item is None:
            errors.append((row, spec.key[-1] if spec.key else None,
                           "预览之后这条记录已被删除，请重新上传文件"))
            return None
        check_version(item, outcome["version"])  # the version the preview saw
        for attr, value in _attr_values(spec, outcome["values"]).items():
            setattr(item, attr, value)
        view.pre_update(item)
        return item
    except VersionConflict as exc:
        errors.append((row, spec.key[-1] if spec.key else None,
                       f"预览之后这条记录已被他人修改{exc.who}，请重新上传文件"))
    except HTTPException:
        errors.append((row, None, "这一行的记录不在您的管辖范围内，不能导入"))
    except ValueError as exc:
        errors.append((row, None, error_text(exc)))
    return None


def _chosen(plan: dict, mode: str) -> list[dict]:
    wanted = {"new", "update"} if mode == UPSERT else {"new"}
    return [o for o in plan["outcomes"] if o["action"] in wanted]


def _open_transaction() -> None:
    """pysqlite opens a transaction only before DML: a SAVEPOINT issued first would be the
    outermost transaction itself, and releasing it would COMMIT. Open one explicitly."""
    conn = db.session.connection()
    if conn.dialect.name == "sqlite" and not conn.connection.dbapi_connection.in_transaction:
        conn.exec_driver_sql("BEGIN")


def _diagnose(spec: ImportSpec, chosen: list[dict]) -> list:
    """Which rows the database refuses: each tried in its own savepoint, all rolled back."""
    errors = []
    _open_transaction()
    existing = load_objects(spec.model, [o["id"] for o in chosen if o["id"]])
    try:
        for outcome in chosen:
            try:
                with db.session.begin_nested():
                    item = _apply(spec, outcome, existing, errors)
                    if item is not None:
                        db.session.flush()
            except Exception as exc:  # noqa: BLE001 - reported on the row, then rolled back
                errors.append((outcome["row"], *_refusal(spec, exc, outcome["values"])))
    finally:
        db.session.rollback()
    return errors


def commit(spec: ImportSpec, plan: dict, mode: str) -> dict:
    """Save the chosen rows in one transaction; returns the counts, or raises ImportRowsError
    (nothing saved)."""
    if any(o["errors"] for o in plan["outcomes"]):
        raise ImportRowsError([], "文件中有错误的行，请修改后重新上传；没有保存任何数据。")
    chosen = _chosen(plan, mode)
    counts = {"new": sum(o["action"] == "new" for o in chosen),
              "update": sum(o["action"] == "update" for o in chosen)}
    counts["skipped"] = len(plan["outcomes"]) - counts["new"] - counts["update"]
    errors: list = []
    with audit_context(ChangeSource.import_):
        try:
            existing = load_objects(spec.model, [o["id"] for o in chosen if o["id"]])
            for outcome in chosen:
                _apply(spec, outcome, existing, errors)
            if errors:
                db.session.rollback()
                raise ImportRowsError(errors)
            db.session.flush()
            db.session.commit()
        except ImportRowsError:
            raise
        except Exception as exc:
            db.session.rollback()
            current_app.logger.warning("import into %s failed, rolled back: %s",
                                       spec.model.__name__, exc)
            rows = _diagnose(spec, chosen)
            raise ImportRowsError(rows, "保存时数据库报错，已全部撤销，没有保存任何数据。"
                                  + ("" if rows else f"（{_constraint_message(spec, exc, {})}）")
                                  ) from exc
    return counts


def plan_for(view, spec: ImportSpec, sheet, outcomes, user_id, filename: str) -> dict:
    return {
        "view": type(view).__name__,
        "user_id": user_id,
        "filename": filename,
        "created": dt.datetime.now().isoformat(timespec="seconds"),
        "key": spec.key,
        "sheet": sheet.to_json(),
        "labels": {c.name: c.label for c in spec.cols},
        "header_keys": [header_key(h) for h in sheet.headers],
        "outcomes": [o.to_json() for o in outcomes],
    }
