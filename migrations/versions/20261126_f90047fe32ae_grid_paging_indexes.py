"""grid paging indexes: deep pages of the compound grid by index-only scans

* ix_compound_households: (households) becomes (households, id), declared in the model. The
  grid orders by (households, id) and pages through it by keyset ((households, id) > ...) or,
  jumping, OFFSET over the ids: on PostgreSQL the one-column index could give neither without
  visiting the table for every row skipped (page 2,000 of 200,000 compounds: 130 ms, now
  ~7 ms). On SQLite the old index already ended with the rowid; the new one is the same.
* PostgreSQL only: page_compound_township_name on (township_id, name, id), the default order
  (name, id) within one township - what a township clerk's row scope and the township filter
  ask for. SQLite needs none: the unique (township_id, name) index carries the rowid and
  serves that order already. Like page_compound_id (SQLite only, see bfaff0508f8d) it lives
  outside the models (page_* names: office.kit.grid.search.include_name keeps
  autogenerate and the drift test away from it).

Revision ID: f90047fe32ae
Revises: 72c36500bb06
Create Date: 2026-11-26 18:30:00
"""
from alembic import op

revision = "f90047fe32ae"
down_revision = "72c36500bb06"
branch_labels = None
depends_on = None


# Plain index DDL on both back ends (no batch mode: on SQLite that could copy the table and
# lose the search index's triggers).


def upgrade():
    op.drop_index("ix_compound_households", table_name="compound")
    op.create_index("ix_compound_households", "compound", ["households", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("page_compound_township_name", "compound", ["township_id", "name", "id"])


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("page_compound_township_name", table_name="compound")
    op.drop_index("ix_compound_households", table_name="compound")
    op.create_index("ix_compound_households", "compound", ["households"])
