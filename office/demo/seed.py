"""The demo county (`flask --app run office seed-demo`): realistic, deterministic and fast.

* Deterministic: the same (compounds, seed, today) gives the same rows, ids included. The
  2020 campaign - the county as of the city inspection, 2020-10-15 - comes from
  ``random.Random(seed)`` alone and is the same whatever today is; the years since and the
  campaign of today's year (demo/current.py, demo/recent.py) come from a second generator
  seeded by the seed and today, with every date relative to today (``today()``: the
  ``OFFICE_TODAY`` / ``TODAY`` setting, else the date). Then the deadline reminders of today
  are sent once (office/services/notifications.py), as the morning job would have.
* Once: if a county exists, nothing is done (``make run`` calls this on every start).
* Fast: rows are generated as tuples and bulk-inserted (seed_base.Sink): a 200,000-compound
  county (about 6 million rows) takes about 45 s on SQLite (target < 120 s wall, measured by
  ``python -m bench seed``), 18 s of it generating rows. On SQLite the compound search
  index's triggers are dropped for the load and the index filled in one statement at the end
  (grid_search_ddl); PostgreSQL is loaded with COPY.

The pieces: seed_base (dates, RNG, writer), seed_words (names), seed_county (townships,
departments, directory, campaign, tasks, companies), seed_compounds (compounds and everything
hanging off them).
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from office.demo.base import Rng, Sink
from office.demo.compounds import build_compounds
from office.demo.county import build_county
from office.models import County, db
from office.services import notifications
from office.services.deadlines import today as current_day

# Keys of the returned counts, in the order the CLI prints them.
LABELS = {
    "county": "counties", "township": "townships", "department": "departments",
    "contact_point": "contact_points", "directory_revision": "directory_revisions",
    "campaign": "campaigns", "target": "targets", "task": "tasks", "task_update": "task_updates",
    "property_company": "property_companies", "compound": "compounds",
    "prep_group": "prep_groups", "owners_committee": "committees",
    "committee_member": "committee_members", "supervision_record": "supervision_records",
    "archive_item": "archive_items", "service_contract": "service_contracts",
    "disclosure": "disclosures", "signboard": "signboards", "dispute": "disputes",
    "finding": "findings",
}


def seed_demo(compounds: int = 300, seed: int = 2020,
              today: dt.date | None = None) -> dict[str, int]:
    """Build the demo county in the current database; {} if a county already exists."""
    if compounds < 1:
        raise ValueError("compounds must be at least 1")
    if db.session.scalar(sa.select(County.id).limit(1)) is not None:
        return {}
    today = today or current_day()
    rng, now = Rng(seed), Rng(seed * 1_000_000 + today.toordinal())
    sink = Sink()
    try:
        county = build_county(sink, rng, compounds, today, now)
        build_compounds(sink, rng, county, compounds)
        counts = sink.finish()
        sink.restore()
    except BaseException:
        sink.restore()
        db.session.rollback()  # nothing half-seeded: the whole county is one transaction
        raise
    db.session.commit()
    notifications.send_reminders(today)
    return {LABELS[table]: counts[table] for table in LABELS}
