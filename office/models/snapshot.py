"""Stored indicator figures for the dashboard (office/services/snapshot.py).

A snapshot is office.indicators' output for one (campaign, as-of date), stored verbatim:
numerator and denominator per township and for the county, never a percentage and never a
figure computed any other way. ``change_mark`` is the highest ChangeLog id the figures were
computed at; when the change log has moved past it the snapshot may be stale.

Derived data, written by the snapshot job only (bulk Core statements, so not audited: an
audited write would move the very change mark it is compared with). No ``__scope__``: these
rows are not a screen or an import target; the dashboard bounds what it reads itself.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from office.models.base import AuditedMixin, db, enum_column
from office.models.campaign import Indicator


class IndicatorSnapshot(AuditedMixin, db.Model):
    """One computation: the campaign, the as-of date, and the change log's high-water mark."""

    __tablename__ = "indicator_snapshot"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "as_of"),)
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "as_of": "统计截止日期",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaign.id", ondelete="CASCADE"))
    as_of: Mapped[dt.date] = mapped_column(sa.Date)
    # max(change_log.id) read in the same transaction as the figures; 0 for an empty log.
    change_mark: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    computed_at: Mapped[dt.datetime] = mapped_column()
    seconds: Mapped[float] = mapped_column(sa.Float, default=0.0)  # how long it took


class IndicatorFigure(AuditedMixin, db.Model):
    """numerator / denominator of one indicator, for one township or (township NULL) the
    county, exactly as office.indicators.township_rates / county_rates returned them."""

    __tablename__ = "indicator_figure"
    __table_args__ = (
        sa.CheckConstraint("numerator >= 0 AND numerator <= denominator",
                           name="figure_counts"),
    )
    __labels__ = {  # the columns' Chinese names: screens, sheets, messages
        "indicator": "考核指标",
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(
        sa.ForeignKey("indicator_snapshot.id", ondelete="CASCADE"), index=True)
    township_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("township.id", ondelete="CASCADE"))
    indicator: Mapped[Indicator] = mapped_column(enum_column(Indicator))
    numerator: Mapped[int] = mapped_column()
    denominator: Mapped[int] = mapped_column()
