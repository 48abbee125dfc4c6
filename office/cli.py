"""`flask --app run office ...`: seeding, users, reports, backup and restore."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

office_cli = AppGroup("office", help="住宅小区管理工作台 commands.")


@office_cli.command("create-user")
@click.argument("username")
@click.option("--role", required=True)
@click.option("--township", default=None, help="乡镇名称 (TownshipClerk)")
@click.option("--department", default=None, help="部门名称 (DepartmentLiaison)")
@click.option("--email", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(username, role, township, department, email, password_stdin):
    """Create a user with one role and, for scoped roles, their township or department."""
    from office.services.users import UserError, create_user as create

    password = sys.stdin.readline().rstrip("\n") if password_stdin else click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    try:
        user = create(username, role, password, township=township, department=department,
                      email=email)
    except UserError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {user.username} ({role})")


@office_cli.command("seed-demo")
@click.option("--compounds", default=300, show_default=True, type=int)
@click.option("--seed", default=2020, show_default=True, type=int)
def seed_demo(compounds, seed):
    """Build a realistic, deterministic demo county."""
    from office.demo.seed import seed_demo as run

    counts = run(compounds=compounds, seed=seed)
    if not counts:
        click.echo("示例县已存在，跳过 (a county exists; nothing seeded)")
        return
    click.echo(", ".join(f"{k}={v}" for k, v in counts.items()))


@office_cli.command("ensure-admin")
def ensure_admin():
    """Create `admin` once; password from OFFICE_ADMIN_PASSWORD or generated and printed."""
    from office.services.users import UserError, ensure_admin as run

    try:
        password = run()
    except UserError as exc:  # e.g. a weak OFFICE_ADMIN_PASSWORD: a message, not a traceback
        raise click.ClickException(str(exc)) from exc
    if password:
        click.echo(f"admin 初始密码 / initial password: {password}")
    current_app.logger.info("admin ensured")


@office_cli.command("report")
@click.option("--as-of", "as_of", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="统计截止日期 YYYY-MM-DD")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="xlsx file to write")
@click.option("--campaign", "campaign_id", type=int, default=None,
              help="工作方案编号 (default: the one whose period holds the date)")
@click.option("--filled-by", default="", help="填报人")
@click.option("--reviewer", default="", help="审核人")
def report(as_of, out, campaign_id, filled_by, reviewer):
    """统计报表: build the return as of a date, synchronously (the RQ job's builder)."""
    from office.services.report.build import ReportError, build_to_file

    try:
        written = build_to_file(as_of.date(), out, campaign_id, filled_by, reviewer)
    except ReportError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = ", ".join(f"{k}={v}" for k, v in written.counts.items())
    click.echo(f"wrote {written.path} ({written.size} bytes, sha256 {written.sha256}); {rows}")


@office_cli.command("backup")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="the .tar.gz to write")
def backup(out):
    """备份: database, uploads and reports into one .tar.gz (safe while the app runs)."""
    from office.services.backup import BackupError, create_backup

    try:
        written = create_backup(out)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = sum(written.tables.values())
    click.echo(f"wrote {written.path} ({written.size} bytes, sha256 {written.sha256}); "
               f"{written.database} at {written.revision}, {len(written.tables)} tables, "
               f"{rows} rows, {written.files} files")


@office_cli.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False))
def restore(archive):
    """恢复: a backup into an EMPTY instance (database, uploads and reports); checked first."""
    from office.services.backup import BackupError, restore_backup

    try:
        restored = restore_backup(archive)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = sum(restored.tables.values())
    click.echo(f"restored {restored.database} at {restored.revision}: "
               f"{len(restored.tables)} tables, {rows} rows (counts checked), "
               f"{restored.files} files (SHA-256 checked)")
    for note in restored.notes:
        click.echo(note)
