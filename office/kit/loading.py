"""Joined loading for list and show pages, declared next to the columns a view shows.

FAB's ModelView lists rows with a plain ``query(Model)`` and renders each related column with
``getattr`` - one lazy SELECT per distinct related row (dotted list columns such as
"township.name" are joined only by the REST API, not by ModelView). FAB applies a view's
``base_filters`` on every query of that view (list, count, show, edit, delete, and the view's
list inside a parent's show page), so a "filter" that adds loader options is the one declarative
hook it offers::

    base_filters = [joined("township", "company")]
    add_form_query_rel_fields = {"committee": [joined("compound")]}   # dropdown labels

Paths follow relationships and may be dotted ("committee.compound") where a row's label
(``__str__``) reaches further. Count queries ignore eager loads, so the pager's COUNT stays
a plain count.
"""
from __future__ import annotations

from flask_appbuilder.models.filters import BaseFilter
from sqlalchemy.orm import joinedload


def _option(model, path: str):
    option, current = None, model
    for name in path.split("."):
        attr = getattr(current, name)
        option = joinedload(attr) if option is None else option.joinedload(attr)
        current = attr.property.mapper.class_
    return option


class JoinedLoad(BaseFilter):
    """Not a filter: loads the given relationships in the same SELECT."""

    name = "joined load"
    arg_name = None  # never built from request arguments

    def apply(self, query, value):
        return query.options(*[_option(self.model, path) for path in value])


def joined(*paths: str) -> list:
    """A ``base_filters`` / ``*_query_rel_fields`` entry that joins ``paths``."""
    return ["id", JoinedLoad, tuple(paths)]
