"""`flask --app run office backup / restore` (office/services/backup.py), on SQLite and on
PostgreSQL: a backup taken while another connection holds an uncommitted write, restored by a
separate `flask` process into a fresh empty instance, equals the source row for row and file
for byte; a non-empty instance, a damaged member, an unsafe member name and a missing pg_dump
are refused with a message, writing nothing.

On PostgreSQL the restore goes into a database beside the test database, ``<name>_restore``,
created and dropped here through an admin connection to the ``postgres`` database.
"""
from __future__ import annotations

import gzip
import io
import json
import os
import secrets
import sqlite3
import stat
import subprocess
import sys
import tarfile
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from office import create_app
from office.models import db
from office.services import backup_db
from tests.conftest import DATABASE_URL, IS_POSTGRES

ROOT = Path(__file__).resolve().parents[1]
UNCOMMITTED = "未提交的县"


# ---------------------------------------------------------------- helpers


def _rows(url: str) -> dict[str, list]:
    """Every table's rows, sorted, in a comparable form."""
    def plain(value):
        return bytes(value) if isinstance(value, memoryview) else value

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            return {name: sorted((tuple(plain(v) for v in row) for row in conn.execute(
                sa.text(f'SELECT * FROM "{name}"'))), key=repr) for name in names}
    finally:
        engine.dispose()


def _files(folder: Path) -> dict[str, bytes]:
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@contextmanager
def _uncommitted_write():
    """Another connection inserts a county and holds the transaction open (SQLite: BEGIN
    IMMEDIATE, the write lock)."""
    insert = ("INSERT INTO county (name, code, version, created_at, updated_at) "
              f"VALUES ('{UNCOMMITTED}', '999999', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
    if IS_POSTGRES:
        engine = sa.create_engine(DATABASE_URL)
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(insert))
                yield
                conn.rollback()
        finally:
            engine.dispose()
    else:
        path = sa.make_url(DATABASE_URL).database
        with closing(sqlite3.connect(path, isolation_level=None)) as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(insert)
            yield
            conn.execute("ROLLBACK")


def _admin_engine() -> sa.Engine:
    url = sa.make_url(DATABASE_URL).set(database="postgres")
    return sa.create_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture()
def target(tmp_path):
    """A fresh, empty instance to restore into: (database URL, instance directory)."""
    instance = tmp_path / "restored-instance"
    instance.mkdir()
    if not IS_POSTGRES:
        yield f"sqlite:///{instance / 'office.db'}", instance
        return
    url = sa.make_url(DATABASE_URL)
    name = f"{url.database}_restore"
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False), instance
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture()
def source(app, users, tmp_path, monkeypatch):
    """The tiny county, its users, and files in the upload and report folders (with report
    scratch under .work, which a backup leaves out)."""
    uploads, reports = tmp_path / "src-uploads", tmp_path / "src-reports"
    monkeypatch.setitem(app.config, "UPLOAD_DIR", uploads)
    monkeypatch.setitem(app.config, "REPORT_DIR", reports)
    files = {
        uploads / "task-evidence" / f"{secrets.token_hex(16)}.pdf":
            b"%PDF-1.4\n" + secrets.token_bytes(3000),
        uploads / "import" / "plan-1.json": json.dumps({"rows": [1, 2]}).encode(),
        reports / "2020" / "示例县统计报表_2020-10-15_第1号.xlsx": secrets.token_bytes(5000),
        reports / ".work" / "run-1-1-parts" / "part-1.bin": b"scratch",
    }
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return uploads, reports


def _backup(app, out: Path):
    result = app.test_cli_runner().invoke(args=["office", "backup", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result


@contextmanager
def _second_app(url: str, instance: Path):
    """The app of the restored instance, in this process (CLI runner)."""
    second = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                         "UPLOAD_DIR": instance / "uploads",
                         "REPORT_DIR": instance / "reports"})
    try:
        yield second
    finally:
        with second.app_context():
            db.session.remove()
            db.engine.dispose()


def _restore_in(second, archive: Path):
    # Flask's CLI reuses an active app context: the fixtures hold the first app's.
    with second.app_context():
        return second.test_cli_runner().invoke(args=["office", "restore", str(archive)])


def _assert_nothing_written(url: str, instance: Path) -> None:
    assert backup_db.tables(url) == []
    assert _files(instance / "uploads") == {} and _files(instance / "reports") == {}


# ---------------------------------------------------------------- the drill


def test_backup_while_writing_restores_into_a_fresh_instance(app, source, target, tmp_path):
    uploads, reports = source
    url, instance = target
    out = tmp_path / "backup.tar.gz"
    with _uncommitted_write():
        result = _backup(app, out)
    assert "tables" in result.output and "3 files" in result.output

    with tarfile.open(out) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert names[0] == "manifest.json"
    assert not any("secret_key" in n or ".work" in n for n in names), names
    assert set(names) == {"manifest.json", *manifest["members"]}
    assert manifest["database"] == ("postgresql" if IS_POSTGRES else "sqlite")
    with app.app_context():
        head = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    assert manifest["alembic_revision"] == head
    assert manifest["tables"]["county"] == 1  # the uncommitted county is not in the backup
    assert manifest["tables"]["ab_user"] == 6

    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OFFICE_", "SECRET_KEY"))}
    env.update(OFFICE_DATABASE_URL=url, OFFICE_INSTANCE_DIR=str(instance),
               SECRET_KEY="restore-drill", OFFICE_LOGIN_RATE_LIMITED="0")
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "run", "office", "restore",
                           str(out)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "counts checked" in done.stdout

    source_rows, restored_rows = _rows(DATABASE_URL), _rows(url)
    assert sorted(restored_rows) == sorted(source_rows)
    for table, rows in source_rows.items():
        assert restored_rows[table] == rows, table
    assert not any(UNCOMMITTED in repr(row) for row in restored_rows["county"])
    assert _files(instance / "uploads") == _files(uploads)
    expected_reports = {k: v for k, v in _files(reports).items() if not k.startswith(".work/")}
    assert _files(instance / "reports") == expected_reports
    assert not (instance / "secret_key").exists()

    # The instance is no longer empty: a second restore is refused and changes nothing.
    with _second_app(url, instance) as second:
        again = _restore_in(second, out)
    assert again.exit_code == 1
    assert "不是空的" in again.output and "Traceback" not in again.output
    assert _rows(url) == restored_rows


# ---------------------------------------------------------------- refusals


def _damaged_copy(archive: Path, member: str, dest: Path) -> None:
    """The same archive with a few bytes of one member's data flipped (the gzip and tar
    framing stay valid, so only the manifest's SHA-256 can tell)."""
    raw = bytearray(gzip.decompress(archive.read_bytes()))
    with tarfile.open(fileobj=io.BytesIO(bytes(raw))) as tar:
        info = tar.getmember(member)
    for i in range(info.offset_data + info.size // 2, info.offset_data + info.size // 2 + 4):
        raw[i] ^= 0xFF
    dest.write_bytes(gzip.compress(bytes(raw)))


@pytest.mark.parametrize("which", ["database", "report"])
def test_a_damaged_member_is_refused_by_name_and_nothing_is_written(
        app, source, target, tmp_path, which):
    url, instance = target
    out = tmp_path / "backup.tar.gz"
    _backup(app, out)
    with tarfile.open(out) as tar:
        member = next(n for n in tar.getnames() if n.startswith(f"{which}"))
    damaged = tmp_path / "damaged.tar.gz"
    _damaged_copy(out, member, damaged)
    with _second_app(url, instance) as second:
        result = _restore_in(second, damaged)
        assert result.exit_code == 1
        assert member in result.output and "SHA-256" in result.output, result.output
        assert "Traceback" not in result.output
        _assert_nothing_written(url, instance)
        # the undamaged archive restores (the refusal left the instance empty)
        assert _restore_in(second, out).exit_code == 0


def test_unsafe_member_names_are_refused(app, target, tmp_path):
    url, instance = target
    evil = tmp_path / "evil.tar.gz"
    data = b"owned"
    manifest = {"format": "office-backup", "format_version": 1, "database": "sqlite",
                "alembic_revision": None, "tables": {},
                "members": {"../escaped.txt": {"sha256": "0" * 64, "size": len(data)}}}
    with tarfile.open(evil, "w:gz") as tar:
        for name, body in (("manifest.json", json.dumps(manifest).encode()),
                           ("../escaped.txt", data)):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    with _second_app(url, instance) as second:
        result = _restore_in(second, evil)
    assert result.exit_code == 1
    assert "不安全" in result.output and "../escaped.txt" in result.output
    assert not (tmp_path / "escaped.txt").exists()
    _assert_nothing_written(url, instance)


def test_missing_pg_dump_names_the_debian_package(app, county, tmp_path, monkeypatch):
    """No pg_dump on PATH nor under /usr/lib/postgresql: a message, no traceback, no file.
    On the SQLite run the app is pointed at a PostgreSQL URL nobody listens on: the client is
    looked for before any connection."""
    pg_url = DATABASE_URL if IS_POSTGRES else "postgresql://postgres@127.0.0.1:1/nothing"
    monkeypatch.setitem(app.config, "SQLALCHEMY_DATABASE_URI", pg_url)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.setattr(backup_db, "PG_BIN_GLOB", str(tmp_path / "no-postgresql" / "*" / "bin"))
    out = tmp_path / "backup.tar.gz"
    result = app.test_cli_runner().invoke(args=["office", "backup", "--out", str(out)])
    assert result.exit_code == 1
    assert "找不到 pg_dump" in result.output and "postgresql-client" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert not out.exists() and not list(tmp_path.glob("*.partial"))


def _fake_tool(path: Path, version: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho 'pg_dump (PostgreSQL) {version}'\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_the_newest_pg_dump_not_older_than_the_server_is_chosen(tmp_path, monkeypatch):
    for major in (12, 17):
        _fake_tool(tmp_path / "lib" / str(major) / "bin" / "pg_dump", f"{major}.1")
    _fake_tool(tmp_path / "usr-bin" / "pg_dump", "15.20 (Debian 15.20-0+deb12u1)")
    monkeypatch.setattr(backup_db, "PG_BIN_GLOB", str(tmp_path / "lib" / "*" / "bin"))
    monkeypatch.setenv("PATH", str(tmp_path / "usr-bin"))
    tools = backup_db.candidates("pg_dump")
    assert tools == [str(tmp_path / "lib/17/bin/pg_dump"), str(tmp_path / "lib/12/bin/pg_dump"),
                     str(tmp_path / "usr-bin/pg_dump")]
    assert backup_db.choose("pg_dump", tools, 16) == tools[0]
    assert backup_db.choose("pg_dump", tools[1:], 15) == tools[2]  # Debian's, on PATH
    with pytest.raises(backup_db.BackupError, match="postgresql-client"):
        backup_db.choose("pg_dump", tools, 18)


def test_the_password_goes_in_the_environment_never_on_the_command_line():
    for driver in ("psycopg2", "psycopg"):
        url = sa.make_url(f"postgresql+{driver}://office:s3cr%40t@db-host:5433/office")
        args, env = backup_db._pg_args(url)
        assert not any("s3cr" in a for a in args)
        assert env["PGPASSWORD"] == "s3cr@t"
        assert "--host=db-host" in args and "--port=5433" in args
        assert "--username=office" in args
