"""Signboards (二.3, 四.2): which boards show an outdated directory, replacing them, and what a
board prints.

A board is *in place* on D when ``installed_on <= D`` and it is not removed by D
(``removed_on IS NULL OR removed_on > D``); it is *stale* on D when it is in place and shows a
directory version older than the county's latest revision in effect on D. These are the very
windows of ``office.indicators``' signboard_current (a compound meets it when one of its boards
in place is not stale); tests/test_signboards.py holds the two together.

Replacing a board keeps history: the old row gets ``removed_on`` (today) and a new row shows
the current version from today, so figures as of any earlier date stay what they were.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import aliased

from office.kit.i18n import TranslatableError
from office.models import Compound, County, DirectoryRevision, Signboard, Township, db
from office.services import directory
from office.services.directory import Line, today

DEFAULT_HOTLINE = ("12345", "政务服务便民热线")


class ReplaceError(TranslatableError, ValueError):
    """A board that cannot be replaced (already removed); the message is a msgid."""


# ---------------------------------------------------------------- staleness


def latest_number_of_county(county_id, as_of: dt.date) -> sa.ScalarSelect:
    """max(number) of the revisions in effect on ``as_of`` (0 when none), for a county id or a
    correlated county column - the same rule as the indicator."""
    return (sa.select(sa.func.coalesce(sa.func.max(DirectoryRevision.number), 0))
            .where(DirectoryRevision.county_id == county_id,
                   DirectoryRevision.effective_on <= as_of)
            .scalar_subquery())


def in_place(as_of: dt.date, board=Signboard):
    return sa.and_(board.installed_on <= as_of,
                   sa.or_(board.removed_on.is_(None), board.removed_on > as_of))


def _latest_for_board(as_of: dt.date, board=Signboard) -> sa.ScalarSelect:
    """The latest number in effect on ``as_of`` in the county of the board's compound: a
    subquery correlated to the board only (the outer query may join compound itself)."""
    compound = aliased(Compound)
    return (sa.select(sa.func.coalesce(sa.func.max(DirectoryRevision.number), 0))
            .select_from(DirectoryRevision)
            .join(Township, Township.county_id == DirectoryRevision.county_id)
            .join(compound, compound.township_id == Township.id)
            .where(compound.id == board.compound_id, DirectoryRevision.effective_on <= as_of)
            .correlate(board)
            .scalar_subquery())


def latest_by_county(as_of: dt.date) -> dict[int, int]:
    """county id -> latest number in effect on ``as_of`` (0 when none). One small query."""
    return dict(db.session.execute(
        sa.select(County.id, latest_number_of_county(County.id, as_of))).all())


def stale(as_of: dt.date | None = None, board=Signboard):
    """WHERE clause: the board is in place on ``as_of`` (today) and shows an older directory.

    When every county is at the same version (a county deployment: one county) the version is
    a constant and the clause a plain comparison; otherwise each board is compared with the
    version of its own compound's county.
    """
    as_of = as_of or today()
    versions = set(latest_by_county(as_of).values())
    if len(versions) <= 1:
        latest = sa.literal(versions.pop() if versions else 0)
    else:
        latest = _latest_for_board(as_of, board)
    return sa.and_(in_place(as_of, board), board.directory_version < latest)


def stale_boards(as_of: dt.date | None = None) -> sa.Select:
    """SELECT Signboard: the boards to replace (待更换公示牌), compound order."""
    return (sa.select(Signboard).join(Compound, Compound.id == Signboard.compound_id)
            .where(stale(as_of)).order_by(Compound.township_id, Compound.name, Signboard.id))


def is_stale(board: Signboard, as_of: dt.date | None = None) -> bool:
    return db.session.scalar(sa.select(sa.literal(True)).where(
        Signboard.id == board.id, stale(as_of))) is not None


def current_number(county_id: int, as_of: dt.date | None = None) -> int:
    return db.session.scalar(sa.select(latest_number_of_county(county_id, as_of or today())))


# ---------------------------------------------------------------- replacing


def mark_replaced(boards: Iterable[Signboard], on: dt.date | None = None) -> list[Signboard]:
    """Replace each board: it is removed ``on`` (today) and a new board showing the current
    directory version is installed the same day, at the same place. Returns the new boards
    (added to the session, not committed). Raises ReplaceError for a board already removed.
    """
    on = on or today()
    boards = list(boards)
    versions: dict[int, int] = {}
    new = []
    for board in boards:
        if board.removed_on is not None and board.removed_on <= on:
            raise ReplaceError("%(compound)s的公示牌（第%(version)s版）已于%(on)s拆除，无需更换",
                               compound=str(board.compound), version=board.directory_version,
                               on=f"{board.removed_on:%Y-%m-%d}")
        county_id = board.compound.township.county_id
        if county_id not in versions:
            versions[county_id] = max(current_number(county_id, on), 1)
        board.removed_on = on
        replacement = Signboard(compound=board.compound, installed_on=on,
                                directory_version=versions[county_id], location=board.location)
        db.session.add(replacement)
        new.append(replacement)
    return new


# ---------------------------------------------------------------- what a board prints


@dataclass
class Board:
    county: County
    township: Township
    compound: Compound
    lines: list[Line]
    version: int
    effective_on: dt.date | None
    hotline: tuple[str, str]
    missing: list[str] = field(default_factory=list)  # units with no channel (screen only)

    @property
    def issuer(self) -> str:
        return f"{self.county.name}住房和城乡建设局"

    def sections(self) -> list[tuple[str, list[tuple[str, list[Line]]]]]:
        """[(heading, [(unit, lines)])]: the departments, then the compound's township."""
        depts = [line for line in self.lines if line.kind == "department"]
        towns = [line for line in self.lines if line.kind == "township"]
        out = [("行政管理部门", directory.grouped(depts))]
        if towns:
            out.append(("属地乡镇（街道、场）", directory.grouped(towns)))
        return out


def hotline() -> tuple[str, str]:
    """(number, name) of the citizens' hotline printed on every board; a deployment may set
    OFFICE_SIGNBOARD_HOTLINE = "12345" and OFFICE_SIGNBOARD_HOTLINE_NAME."""
    if not has_app_context():
        return DEFAULT_HOTLINE
    cfg = current_app.config
    return (str(cfg.get("OFFICE_SIGNBOARD_HOTLINE") or DEFAULT_HOTLINE[0]),
            str(cfg.get("OFFICE_SIGNBOARD_HOTLINE_NAME") or DEFAULT_HOTLINE[1]))


def boards_for(compounds: list[Compound], as_of: dt.date | None = None) -> list[Board]:
    """The boards of the given compounds (one per compound, in the given order), with the
    directory as it stands now and the version in effect on ``as_of`` (today). A handful of
    queries whatever the number of compounds: one per county and one for the townships."""
    as_of = as_of or today()
    towns = {c.township_id: c.township for c in compounds}
    by_town = directory.township_lines(towns)
    per_county: dict[int, tuple] = {}
    number = hotline()
    boards = []
    for compound in compounds:
        township = towns[compound.township_id]
        county_id = township.county_id
        if county_id not in per_county:
            depts, missing = directory.department_lines(county_id)
            revision = directory.latest_revision(county_id, as_of)
            per_county[county_id] = (depts, missing, revision, db.session.get(County, county_id))
        depts, missing, revision, county = per_county[county_id]
        town_lines = by_town[township.id]
        boards.append(Board(
            county=county, township=township, compound=compound,
            lines=depts + town_lines,
            version=revision.number if revision else 0,
            effective_on=revision.effective_on if revision else None,
            hotline=number,
            missing=missing + ([] if town_lines else [township.name]),
        ))
    return boards


def missing_units(boards: Iterable[Board]) -> list[str]:
    """Units without any channel on these boards (said on the screen, not printed)."""
    out: list[str] = []
    for board in boards:
        out += [name for name in board.missing if name not in out]
    return out


def compounds_of_township(township_id: int) -> list[Compound]:
    """Every compound of a township, by name, with its township loaded (one query)."""
    return list(db.session.scalars(
        sa.select(Compound).where(Compound.township_id == township_id)
        .options(sa.orm.joinedload(Compound.township)).order_by(Compound.name, Compound.id)))


def stale_count(township_ids: Iterable[int] | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(Signboard).where(stale())
    if township_ids is not None:
        query = query.join(Compound, Compound.id == Signboard.compound_id).where(
            Compound.township_id.in_(list(township_ids)))
    return db.session.scalar(query)
