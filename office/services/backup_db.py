"""The database half of a backup (office/services/backup.py is the archive half).

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent picture of
the file while the app runs - a writer's uncommitted transaction is not in it - and the same
API writes a restored file into place. PostgreSQL: ``pg_dump --format=custom`` runs inside a
snapshot this module exports from a REPEATABLE READ transaction, so the row counts written to
the manifest are those of the dump itself; ``pg_restore --no-owner`` restores it.

Connection parameters come from the SQLAlchemy URL (``make_url``: host, port, username,
database - never a driver's internals); the password goes to pg_dump/pg_restore in the
``PGPASSWORD`` environment variable, never on the command line. Every engine made here is
disposed before the function returns.
"""
from __future__ import annotations

import glob
import os
import re
import shutil
import sqlite3
import subprocess
from contextlib import closing, contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

# Debian installs each PostgreSQL major's client tools here; the newest one that is at least
# the server's major wins over the one on PATH (pg_dump refuses a newer server).
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
PG_PACKAGE = "postgresql-client"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is for the operator (Chinese)."""


def kind_of(url: str | sa.URL) -> str:
    backend = sa.make_url(url).get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise BackupError(f"不支持备份此类数据库：{backend}（只支持 SQLite 和 PostgreSQL）")
    return backend


def sqlite_path(url: str | sa.URL) -> Path:
    database = sa.make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("内存数据库无法备份或恢复")
    return Path(database)


@contextmanager
def _engine(url: str | sa.URL, **options):
    engine = sa.create_engine(url, poolclass=NullPool, **options)
    try:
        yield engine
    finally:
        engine.dispose()


# ---------------------------------------------------------------- counting


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
    return [name for (name,) in rows]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_counts(path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {_quote(t)}").fetchone()[0]
                for t in _sqlite_tables(conn)}


def _counts(conn: sa.Connection) -> dict[str, int]:
    names = sorted(sa.inspect(conn).get_table_names())
    return {name: conn.scalar(sa.select(sa.func.count()).select_from(sa.table(name)))
            for name in names}


def counts(url: str | sa.URL) -> dict[str, int]:
    """Every table's row count in the database at ``url`` (after a restore)."""
    if kind_of(url) == "sqlite":
        path = sqlite_path(url)
        return sqlite_counts(path) if path.exists() else {}
    with _engine(url) as engine, engine.connect() as conn:
        return _counts(conn)


def revision_of(table_counts: dict[str, int], read) -> str | None:
    if "alembic_version" not in table_counts:
        return None
    return ",".join(sorted(read("SELECT version_num FROM alembic_version"))) or None


def tables(url: str | sa.URL) -> list[str]:
    """The database's table names (none when a SQLite file does not exist yet)."""
    if kind_of(url) == "sqlite":
        path = sqlite_path(url)
        if not path.exists():
            return []
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            return _sqlite_tables(conn)
    with _engine(url) as engine, engine.connect() as conn:
        return sorted(sa.inspect(conn).get_table_names())


# ---------------------------------------------------------------- SQLite


def sqlite_dump(url: str | sa.URL, dest: Path) -> tuple[dict[str, int], str | None]:
    """Copy the live database into ``dest`` (online backup API); counts and revision of the
    copy. A writer holding BEGIN IMMEDIATE does not block it: its pages are not yet in the
    file, and the copy takes them as last committed."""
    path = sqlite_path(url)
    if not path.exists():
        raise BackupError(f"数据库文件不存在：{path}")
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60)) as src, \
            closing(sqlite3.connect(dest)) as dst:
        src.backup(dst)
    with closing(sqlite3.connect(dest)) as conn:
        table_counts = {t: conn.execute(f"SELECT count(*) FROM {_quote(t)}").fetchone()[0]
                        for t in _sqlite_tables(conn)}
        revision = revision_of(table_counts,
                               lambda q: [r for (r,) in conn.execute(q)])
    return table_counts, revision


def sqlite_restore(dump: Path, url: str | sa.URL) -> None:
    path = sqlite_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(f"file:{dump}?mode=ro", uri=True)) as src, \
            closing(sqlite3.connect(path, timeout=60)) as dst:
        src.backup(dst)


# ---------------------------------------------------------------- PostgreSQL tools


def _major(tool: str) -> int | None:
    try:
        out = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=30,
                             check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\)\s*(\d+)", out) or re.search(r"(\d+)", out)
    return int(match.group(1)) if match else None


def candidates(name: str) -> list[str]:
    """``name`` in Debian's per-version directories, newest first, then on PATH."""
    found = []
    versioned = glob.glob(os.path.join(PG_BIN_GLOB, name))
    for tool in sorted(versioned, key=lambda p: _dir_version(p), reverse=True):
        if os.access(tool, os.X_OK):
            found.append(tool)
    on_path = shutil.which(name)
    if on_path and on_path not in found:
        found.append(on_path)
    if not found:
        raise BackupError(f"找不到 {name}：PostgreSQL 数据库的备份与恢复需要它。"
                          f"请安装 Debian 软件包 {PG_PACKAGE}（apt-get install {PG_PACKAGE}），"
                          "其版本不低于数据库服务器")
    return found


def _dir_version(path: str) -> int:
    match = re.search(r"/(\d+)/bin/", path)
    return int(match.group(1)) if match else 0


def choose(name: str, tools: list[str], server_major: int) -> str:
    """The first tool (newest first) whose major version is at least the server's."""
    seen = []
    for tool in tools:
        major = _major(tool)
        seen.append(f"{tool}（{major or '版本未知'}）")
        if major is not None and major >= server_major:
            return tool
    raise BackupError(f"{name} 的版本低于数据库服务器（PostgreSQL {server_major}）："
                      f"{'、'.join(seen)}。请安装与服务器同版本的 {PG_PACKAGE}")


def _server_major(conn: sa.Connection) -> int:
    return int(conn.scalar(sa.text("SHOW server_version_num"))) // 10000


def _pg_args(url: sa.URL) -> tuple[list[str], dict[str, str]]:
    args = ["--no-password"]
    host = url.host or url.query.get("host")
    if host:
        args.append(f"--host={host}")
    if url.port:
        args.append(f"--port={url.port}")
    if url.username:
        args.append(f"--username={url.username}")
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip()[-2000:]
        raise BackupError(f"{what}失败（{Path(cmd[0]).name} 退出码 {done.returncode}）：{detail}")


# ---------------------------------------------------------------- PostgreSQL


def pg_dump(url: str | sa.URL, dest: Path) -> tuple[dict[str, int], str | None]:
    """pg_dump in a snapshot exported by our own REPEATABLE READ transaction, which also counts
    the rows: the manifest describes exactly the dump."""
    url = sa.make_url(url)
    tools = candidates("pg_dump")  # before connecting: a missing client is said at once
    args, env = _pg_args(url)
    with _engine(url, isolation_level="REPEATABLE READ") as engine, \
            engine.connect() as conn:
        tool = choose("pg_dump", tools, _server_major(conn))
        snapshot = conn.scalar(sa.text("SELECT pg_export_snapshot()"))
        table_counts = _counts(conn)
        revision = revision_of(
            table_counts, lambda q: list(conn.scalars(sa.text(q))))
        _run([tool, *args, "--format=custom", f"--snapshot={snapshot}", f"--file={dest}",
              f"--dbname={url.database}"], env, "pg_dump 备份")
        conn.rollback()
    return table_counts, revision


def pg_restore(dump: Path, url: str | sa.URL) -> None:
    url = sa.make_url(url)
    tools = candidates("pg_restore")
    args, env = _pg_args(url)
    with _engine(url) as engine, engine.connect() as conn:
        tool = choose("pg_restore", tools, _server_major(conn))
    _run([tool, *args, "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction",
          f"--dbname={url.database}", str(dump)], env, "pg_restore 恢复")
