"""Backup and restore of a whole instance: the database, UPLOAD_DIR and REPORT_DIR in one
``.tar.gz`` (`flask --app run office backup / restore`).

The archive::

    manifest.json              format, creation time (UTC), database kind, alembic revision,
                               every table's row count, every other member's SHA-256 and size
    database/office.sqlite     SQLite: a copy made by the online backup API, or
    database/office.pgdump     PostgreSQL: pg_dump --format=custom
    uploads/…                  UPLOAD_DIR (task evidence, kept import files)
    reports/…                  REPORT_DIR (archived returns), without its .work scratch folder

Never in it: the secret key (``instance/secret_key``) - it is not under either folder, and a
restored instance makes or is given its own (signed-in sessions do not survive a restore).

A restore goes only into an empty instance (no table of ours and no alembic_version in the
database, no file in the two folders). Every member is read into a scratch directory outside
the instance and checked against the manifest - names (no absolute path, no ``..``, regular
files only), SHA-256, nothing missing, nothing extra - before anything is written; then the
database, then the files; then every table's row count is compared with the manifest.
The database half lives in ``backup_db.py``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from flask import current_app

from office.models import db
from office.services import backup_db
from office.services.backup_db import BackupError

__all__ = ["BackupError", "Written", "Restored", "create_backup", "restore_backup"]

FORMAT = "office-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DB_MEMBER = {"sqlite": "database/office.sqlite", "postgresql": "database/office.pgdump"}
FOLDERS = {"uploads": "UPLOAD_DIR", "reports": "REPORT_DIR"}  # archive prefix -> setting
SKIP = {"reports": {".work"}}  # scratch folders a backup leaves out (top level of the folder)
CHUNK = 1 << 20


@dataclass
class Written:
    path: Path
    size: int
    sha256: str
    database: str
    revision: str | None
    tables: dict[str, int]
    files: int


@dataclass
class Restored:
    database: str
    revision: str | None
    tables: dict[str, int]
    files: int
    notes: list[str] = field(default_factory=list)


def _settings() -> tuple[str, dict[str, Path]]:
    config = current_app.config
    instance = Path(current_app.instance_path)
    folders = {prefix: Path(config.get(key) or instance / prefix)
               for prefix, key in FOLDERS.items()}
    return config["SQLALCHEMY_DATABASE_URI"], folders


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _files(folder: Path, skip: set[str]) -> list[tuple[Path, str]]:
    """(file, path inside the folder) for every regular file, sorted; symlinks are skipped."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if rel.parts[0] in skip or path.is_symlink() or not path.is_file():
            continue
        found.append((path, rel.as_posix()))
    return found


# ---------------------------------------------------------------- backup


def create_backup(out: str | Path) -> Written:
    """Write the archive to ``out`` (through a temporary file beside it, renamed at the end)."""
    url, folders = _settings()
    kind = backup_db.kind_of(url)
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    members: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="office-backup-") as scratch:
        dump = Path(scratch) / Path(DB_MEMBER[kind]).name
        if kind == "sqlite":
            table_counts, revision = backup_db.sqlite_dump(url, dump)
        else:
            table_counts, revision = backup_db.pg_dump(url, dump)
        entries = [(dump, DB_MEMBER[kind])]
        for prefix, folder in folders.items():
            if out.is_relative_to(folder.resolve()):
                raise BackupError(f"备份文件不能写在要备份的目录里：{folder}")
            entries += [(path, f"{prefix}/{rel}")
                        for path, rel in _files(folder, SKIP.get(prefix, set()))]
        for path, name in entries:
            members[name] = {"sha256": _sha256(path), "size": path.stat().st_size}
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database": kind,
            "alembic_revision": revision,
            "tables": table_counts,
            "members": members,
        }
        partial = out.with_name(out.name + ".partial")
        try:
            with tarfile.open(partial, "w:gz") as tar:
                data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode = len(data), 0o600
                info.mtime = int(dt.datetime.now().timestamp())
                tar.addfile(info, io.BytesIO(data))
                for path, name in entries:
                    info = tar.gettarinfo(str(path), arcname=name)
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    info.mode = 0o600
                    with path.open("rb") as fh:
                        tar.addfile(info, fh)
            partial.replace(out)
        finally:
            partial.unlink(missing_ok=True)
    return Written(out, out.stat().st_size, _sha256(out), kind, revision, table_counts,
                   len(entries) - 1)


# ---------------------------------------------------------------- restore


def _safe_name(name: str) -> str:
    path = PurePosixPath(name)
    if (not name or name.startswith("/") or "\\" in name or path.is_absolute()
            or any(part in {"..", "", "."} for part in name.split("/"))):
        raise BackupError(f"备份文件中的成员路径不安全，拒绝恢复：{name}")
    return name


def _stage(archive: Path, scratch: Path) -> tuple[dict, dict[str, Path]]:
    """Every member into ``scratch``, checked: (manifest, {member name: staged file})."""
    staged: dict[str, Path] = {}
    manifest = None
    current = MANIFEST
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for number, info in enumerate(tar):
                current = info.name
                name = _safe_name(info.name)
                if not info.isfile():
                    raise BackupError(f"备份文件中的成员不是普通文件，拒绝恢复：{name}")
                if name in staged or (name == MANIFEST and manifest is not None):
                    raise BackupError(f"备份文件中的成员重复，拒绝恢复：{name}")
                source = tar.extractfile(info)
                if name == MANIFEST:
                    manifest = json.loads(source.read().decode())
                    continue
                target = scratch / f"{number:06d}"
                with target.open("wb") as fh:
                    shutil.copyfileobj(source, fh, CHUNK)
                staged[name] = target
    except BackupError:
        raise
    except (tarfile.TarError, OSError, EOFError, zlib.error, ValueError) as exc:
        raise BackupError(f"备份文件已损坏或不完整（读到 {current} 时出错：{exc}），"
                          "拒绝恢复") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"不是本系统的备份文件（缺少 {MANIFEST}）：{archive}")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"备份格式版本 {manifest.get('format_version')} 不受支持")
    expected = manifest.get("members") or {}
    kind = manifest.get("database")
    if DB_MEMBER.get(kind) not in expected:
        raise BackupError(f"备份清单中没有数据库（{kind}）")
    for name in sorted(set(staged) - set(expected)):
        raise BackupError(f"备份文件中有清单之外的成员，拒绝恢复：{name}")
    for name in sorted(expected):
        if name not in staged:
            raise BackupError(f"备份文件缺少成员，拒绝恢复：{name}")
        if _sha256(staged[name]) != expected[name].get("sha256"):
            raise BackupError(f"备份文件中的成员已损坏（SHA-256 不符），拒绝恢复：{name}")
    return manifest, staged


def _not_empty(url: str, folders: dict[str, Path]) -> list[str]:
    present = sorted((set(db.metadata.tables) | {"alembic_version"})
                     & set(backup_db.tables(url)))
    found = [f"数据库已有 {len(present)} 张本系统的数据表（{'、'.join(present[:3])} 等）"
             ] if present else []
    for prefix, folder in folders.items():
        if any(path.is_file() or path.is_symlink() for path in
               (folder.rglob("*") if folder.is_dir() else [])):
            found.append(f"{FOLDERS[prefix]} 目录中已有文件（{folder}）")
    return found


def restore_backup(archive: str | Path) -> Restored:
    url, folders = _settings()
    kind = backup_db.kind_of(url)
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"找不到备份文件：{archive}")
    if problems := _not_empty(url, folders):
        raise BackupError("目标实例不是空的，拒绝恢复（恢复只写入空的实例）："
                          + "；".join(problems))
    with tempfile.TemporaryDirectory(prefix="office-restore-") as scratch:
        manifest, staged = _stage(archive, Path(scratch))
        _check_revision(manifest.get("alembic_revision"))
        if manifest["database"] != kind:
            raise BackupError(f"备份来自 {manifest['database']} 数据库，而本实例配置的是 {kind}："
                              "请恢复到同类数据库")
        if kind == "postgresql":
            backup_db.candidates("pg_restore")  # said before anything is written
        db.session.remove()
        db.engine.dispose()
        dump = staged.pop(DB_MEMBER[kind])
        if kind == "sqlite":
            backup_db.sqlite_restore(dump, url)
        else:
            backup_db.pg_restore(dump, url)
        for name, path in sorted(staged.items()):
            prefix, rel = name.split("/", 1)
            if prefix not in folders:
                raise BackupError(f"备份文件中有未知目录的成员：{name}")
            target = folders[prefix] / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)
    expected = manifest["tables"]
    actual = backup_db.counts(url)
    wrong = [f"{t}（应为 {n}，实为 {actual.get(t, '无此表')}）"
             for t, n in sorted(expected.items()) if actual.get(t) != n]
    if wrong:
        raise BackupError("恢复后的行数与备份清单不符：" + "；".join(wrong))
    notes = []
    head = _head_revision()
    if manifest["alembic_revision"] and head and manifest["alembic_revision"] != head:
        notes.append(f"备份的数据库版本为 {manifest['alembic_revision']}，程序的最新版本为 {head}："
                     "请运行 flask --app run db upgrade")
    return Restored(kind, manifest["alembic_revision"], expected, len(staged), notes)


def _scripts():
    from alembic.script import ScriptDirectory

    migrate = current_app.extensions.get("migrate")
    return None if migrate is None else ScriptDirectory(migrate.directory)


def _head_revision() -> str | None:
    scripts = _scripts()
    return None if scripts is None else ",".join(sorted(scripts.get_heads())) or None


def _check_revision(revision: str | None) -> None:
    """A backup made by a newer release (a revision this code does not know) is refused."""
    from alembic.util import CommandError

    scripts = _scripts()
    if scripts is None or not revision:
        return
    for rev in revision.split(","):
        try:
            known = scripts.get_revision(rev)
        except CommandError:
            known = None
        if known is None:
            raise BackupError(f"备份的数据库版本 {rev} 不是本程序所知的版本"
                              "（备份来自更新的程序？），请先升级程序再恢复")
