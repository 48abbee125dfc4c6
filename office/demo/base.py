"""Plumbing of the demo seeder: dates as day numbers, a seeded RNG, and the bulk row writer.

A 200,000-compound county is several million rows; building ORM objects for them would take
tens of minutes. The seeder therefore generates plain tuples in table column order, with dates
already as ISO strings and enums as member names (what the columns store), and writes them
with one executemany per table and block. Audit rows are deliberately not written (see
kit/audit/log.py): seeding is not a clerk's edit.

On SQLite the compound search index (grid_search_ddl: an FTS5 table kept by triggers) is not
maintained row by row: the seeder drops its triggers, indexes the new compounds in one
statement at the end and creates the triggers again, all in the seeding's transaction.
"""
from __future__ import annotations

import bisect
import csv
import datetime as dt
import functools
import io
import itertools
import random
import sqlite3

import sqlalchemy as sa

from office.kit.grid import search_ddl
from office.kit.grid.search import search_indexes
from office.models import db

# --- dates -------------------------------------------------------------------------------
# Day numbers (proleptic ordinals) make date arithmetic integer arithmetic; ISO strings are
# looked up, not formatted, because there are millions of them.
_EPOCH = dt.date(1980, 1, 1).toordinal()
_ISO = [dt.date.fromordinal(_EPOCH + i).isoformat()
        for i in range(dt.date(2035, 1, 1).toordinal() - _EPOCH)]


@functools.cache  # called with the same few constants millions of times
def day(year: int, month: int = 1, dom: int = 1) -> int:
    return dt.date(year, month, dom).toordinal()


def iso(ordinal: int | None) -> str | None:
    return None if ordinal is None else _ISO[ordinal - _EPOCH]


def add_years(ordinal: int, years: int) -> int:
    d = dt.date.fromordinal(ordinal)
    try:
        return d.replace(year=d.year + years).toordinal()
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28).toordinal()


def year_of(ordinal: int) -> int:
    return dt.date.fromordinal(ordinal).year


# The demo is a snapshot of the 2020 campaign: nothing happens after the city inspection.
AS_OF = day(2020, 10, 15)
CAMPAIGN_START = day(2020, 6, 1)
CAMPAIGN_END = day(2021, 12, 31)
# created_at/updated_at of every seeded row: fixed, so two runs give identical rows.
STAMP = "2020-10-15 08:00:00.000000"


# --- randomness ----------------------------------------------------------------------------
class Rng:
    """random.Random(seed), used only through random(): the sequence then does not depend on
    how a Python release implements randint/choice, so a seed means the same county forever."""

    def __init__(self, seed: int):
        self.random = random.Random(seed).random

    def chance(self, p: float) -> bool:
        return self.random() < p

    def between(self, lo: int, hi: int) -> int:
        """lo..hi inclusive."""
        return lo + int(self.random() * (hi - lo + 1))

    def pick(self, seq):
        return seq[int(self.random() * len(seq))]

    def weighted(self, table):
        items, cum = table
        return items[bisect.bisect(cum, self.random() * cum[-1])]

    def money(self, lo: float, hi: float) -> float:
        return round(lo + self.random() * (hi - lo), 2)


def weights(pairs) -> tuple[list, list[float]]:
    """[(item, weight), …] → a table for Rng.weighted (cumulative weights, bisect on draw)."""
    pairs = list(pairs)
    items = [item for item, _ in pairs]
    return items, list(itertools.accumulate(w for _, w in pairs))


# --- the writer ------------------------------------------------------------------------------
# Column order of the generated tuples, per table (created_at, updated_at, version are added
# by the writer). Checked against the schema at start, so a new column fails loudly here
# instead of being silently NULL.
COLUMNS: dict[str, tuple[str, ...]] = {
    name: tuple(cols.split()) for name, cols in {
        "county": "id name code",
        "township": "id county_id name kind",
        "department": "id county_id name short_name duties",
        "contact_point": "id department_id township_id person service_phone complaint_phone "
                         "hours reported_on",
        "directory_revision": "id county_id number effective_on note",
        "campaign": "id county_id name year starts_on ends_on interim_counts "
                    "disclosure_interval_days reelection_warning_days filing_days "
                    "term_max_years committee_min_size committee_max_size",
        "target": "id campaign_id indicator threshold due_on",
        "campaign_step": "id campaign_id step_no title due_on to_townships to_all_departments "
                         "indicator note",
        "task": "id campaign_id step_no title township_id department_id indicator due_on "
                "status progress done_on step_id",
        "task_update": "id task_id noted_on progress note evidence_path author",
        "property_company": "id name uscc legal_person phone address",
        "compound": "id township_id name community address kind households buildings "
                    "built_year delivered_on developer management_mode company_id",
        "prep_group": "id compound_id formed_on leader members_count status assembly_on note",
        "owners_committee": "id compound_id kind term_no elected_on term_end filed_on "
                            "dissolved_on office_space office_address note",
        "committee_member": "id committee_id name role phone joined_on left_on",
        "supervision_record": "id member_id kind held_on held_by note",
        "archive_item": "id committee_id kind present checked_on note",
        "service_contract": "id compound_id company_id kind signed_on starts_on ends_on "
                            "terminated_on service_grade price_regime fee_model fee "
                            "price_review_status approved_fee reviewed_on review_note",
        "disclosure": "id compound_id company_id item period published_on channel",
        "signboard": "id compound_id installed_on directory_version location removed_on",
        "dispute": "id compound_id received_on parties summary status resolved_on mediator",
        "finding": "id compound_id source found_on description deadline status closed_on",
    }.items()
}
_TAIL_COLUMNS = ("created_at", "updated_at", "version")
_TAIL = (STAMP, STAMP, 1)
_TAIL_SQL = f"'{STAMP}', '{STAMP}', 1"
# SQLite: rows per INSERT statement. SQLite builds the lookup table of an enum's CHECK
# (kind IN (...)) once per execution of a statement, so an executemany of one-row INSERTs
# spends half its time on CHECKs; 100 rows per INSERT do not (fewer if the build of SQLite
# allows fewer than 100 x 16 parameters per statement).
ROWS_PER_INSERT = 100


class Sink:
    """Buffers generated rows per table and writes them parents-first with executemany.

    Ids are assigned here (continuing after any existing rows), so children can reference
    parents before anything is written. ``flush()`` writes every buffer in foreign-key order:
    PostgreSQL checks foreign keys row by row, SQLite does not, and both are then satisfied.
    """

    def __init__(self):
        self.conn = db.session.connection()
        self.sqlite = self.conn.dialect.name == "sqlite"
        self.copy = self.conn.dialect.driver == "psycopg"
        tables = db.metadata.tables
        for name, cols in COLUMNS.items():
            expected = set(tables[name].c.keys()) - {"created_at", "updated_at", "version"}
            if set(cols) != expected:
                raise RuntimeError(f"seed: column list of {name} is out of date: "
                                   f"{sorted(expected ^ set(cols))}")
        self.order = [t.name for t in db.metadata.sorted_tables if t.name in COLUMNS]
        self.rows: dict[str, list[tuple]] = {name: [] for name in COLUMNS}
        self.counts = dict.fromkeys(COLUMNS, 0)
        self._ids, self._top = {}, {}
        for name in COLUMNS:
            top = self.conn.execute(sa.select(sa.func.max(tables[name].c.id))).scalar()
            self._top[name] = top or 0
            self._ids[name] = itertools.count((top or 0) + 1).__next__
        self._cache_size = None
        self._unindexed: dict[str, int] = {}  # table -> its last id the search index holds
        if self.sqlite:
            # A bigger page cache while seeding (a 200k county is ~1 GB), put back by restore().
            self._cache_size = self.conn.exec_driver_sql("PRAGMA cache_size").scalar()
            self.conn.exec_driver_sql("PRAGMA cache_size = -262144")
            self._max_params = self.conn.connection.driver_connection.getlimit(
                sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
            self._suspend_search_triggers()

    def _suspend_search_triggers(self) -> None:
        """SQLite: drop the triggers of the search index (per row they cost 30 % of a 200k
        county's CPU); finish() indexes the new rows in one INSERT … SELECT and creates the
        triggers again. DDL is transactional in SQLite, so this happens inside the seeding's
        transaction: a failure rolls the triggers back in, and nothing is left half-indexed."""
        present = set(self.conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars())
        for table in search_indexes():
            if table not in COLUMNS or not set(search_ddl.trigger_names(table)) <= present:
                continue  # no index here (a database not migrated that far): nothing to keep
            if not self.conn.connection.driver_connection.in_transaction:
                # pysqlite opens its transaction at the first INSERT only; DDL before it
                # would be committed on its own.
                self.conn.exec_driver_sql("BEGIN")
            for statement in search_ddl.drop_triggers(table):
                self.conn.exec_driver_sql(statement)
            self._unindexed[table] = self._top[table]

    def _resume_search_triggers(self) -> None:
        for table, last_indexed in self._unindexed.items():
            self.conn.exec_driver_sql(search_ddl.fill(table, after_id=last_indexed))
            for statement in search_ddl.triggers(table):
                self.conn.exec_driver_sql(statement)
        self._unindexed.clear()

    def ids(self, table: str):
        """A function returning the next id of ``table`` on each call."""
        return self._ids[table]

    def add(self, table: str, row: tuple) -> None:
        self.rows[table].append(row)

    def flush(self) -> None:
        for name in self.order:
            rows = self.rows[name]
            if not rows:
                continue
            cols = COLUMNS[name] + _TAIL_COLUMNS
            if self.sqlite:
                # Straight to sqlite3: the values are already in stored form, and the constant
                # tail is part of the statement instead of every row. Multi-row INSERTs of
                # ROWS_PER_INSERT rows (executemany), then one INSERT with the rest. OR
                # ROLLBACK: a violated constraint rolls back the whole seeding (which is one
                # transaction anyway), so SQLite keeps no statement journal - with plain
                # INSERT it copies every index page a multi-row INSERT touches to a temp file
                # first (compound's random-key indexes: 1.5 million writes for 200,000 rows).
                values = f"({', '.join('?' * len(COLUMNS[name]))}, {_TAIL_SQL})"
                head = f"INSERT OR ROLLBACK INTO {name} ({', '.join(cols)}) VALUES "
                k = max(1, min(ROWS_PER_INSERT, self._max_params // len(COLUMNS[name])))
                chain = itertools.chain.from_iterable
                whole = len(rows) - len(rows) % k
                if whole:
                    self.conn.exec_driver_sql(head + ", ".join([values] * k), [
                        tuple(chain(rows[i:i + k])) for i in range(0, whole, k)])
                if whole < len(rows):
                    self.conn.exec_driver_sql(head + ", ".join([values] * (len(rows) - whole)),
                                              tuple(chain(rows[whole:])))
            elif self.copy:
                # PostgreSQL's COPY, the fastest way in (an INSERT per row is 20x slower). CSV
                # writes None as an empty unquoted field, which COPY reads as NULL; the seeder
                # never produces empty strings.
                buf = io.StringIO()
                csv.writer(buf).writerows(r + _TAIL for r in rows)
                with self.conn.connection.driver_connection.cursor() as cursor, cursor.copy(
                        f"COPY {name} ({', '.join(cols)}) FROM STDIN WITH (FORMAT csv)") as copy:
                    copy.write(buf.getvalue())
            else:
                # Other drivers: a typeless table (no bind processing; ISO strings are valid
                # date literals), which SQLAlchemy batches into multi-row INSERTs.
                table = sa.table(name, *(sa.column(c) for c in cols))
                self.conn.execute(sa.insert(table), [dict(zip(cols, r + _TAIL)) for r in rows])
            self.counts[name] += len(rows)
            self.rows[name].clear()  # cleared, not replaced: generators hold its append

    def finish(self) -> dict[str, int]:
        self.flush()
        self._resume_search_triggers()
        if self.conn.dialect.name == "postgresql":
            # Ids were given explicitly, so the serial sequences never moved: move them past
            # the rows, or the first row a clerk adds collides with id 1.
            for name, n in self.counts.items():
                if n:
                    self.conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT MAX(id) FROM {name}))")
        return self.counts

    def restore(self) -> None:
        """Undo the connection settings, before the connection goes back to the pool. (The
        search triggers come back in finish(), or with the rollback of a failed seeding.)"""
        if self._cache_size is not None:
            self.conn.exec_driver_sql(f"PRAGMA cache_size = {int(self._cache_size)}")
            self._cache_size = None


class CompoundDraft:
    """What the later steps of one compound's generation need to know about it."""

    __slots__ = ("id", "t", "name", "kind", "mode", "company", "households", "buildings",
                 "delivered", "community", "first_elected", "fate", "issues", "terms", "body",
                 "contract", "board")

    def __init__(self, id, t, name, kind, mode, company, households, buildings, delivered,
                 community):
        self.id, self.t, self.name, self.kind, self.mode = id, t, name, kind, mode
        self.company, self.households, self.buildings = company, households, buildings
        self.delivered, self.community = delivered, community
        self.first_elected, self.fate, self.issues = None, "never", []
        # What the years after the inspection continue from (office/demo/recent.py): how many
        # bodies were written; the body active on AS_OF (term_end, office, the slice of its
        # members' rows in the buffer); the last contract (starts, ends, terminated); the board
        # in place on AS_OF (its row's index in the buffer, version, location).
        self.terms, self.body, self.contract, self.board = 0, None, None, None
