"""Dates and amounts in the active language (navette.core.formats) for templates:
``{{ day|long_date }}``, ``{{ day|weekday_date }}``, ``{{ day|weekday_day }}``,
``{{ day|short_date }}``, ``{{ month|month_year }}``, ``{{ start|long_datetime }}``,
``{{ cents|euros }}``, ``{{ cents|amount }}``. An empty value shows as nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import template

from navette.core import formats

register = template.Library()


def _dates(name: str, show: Callable[[Any], str]) -> None:
    def date_filter(value: dt.date | dt.datetime | None | str) -> str:
        return "" if value in (None, "") else show(value)

    register.filter(name, date_filter)


_dates("long_date", formats.long_date)
_dates("weekday_date", lambda v: formats.long_date(v, weekday=True))
_dates("weekday_day", lambda v: formats.long_date(v, weekday=True, year=False))
_dates("short_date", formats.short_date)
_dates("month_year", formats.month_year)
_dates("long_datetime", formats.long_datetime)
_dates("short_datetime", formats.short_datetime)
register.filter("euros", formats.euros)
register.filter("amount", formats.amount)
register.filter("tokens", formats.tokens)


@register.filter
def month_key(value: str) -> str:
    """A stored month key ("2026-11") named for people ("novembre 2026"); a year ("2026")
    or anything else is shown as it is."""
    try:
        month = dt.datetime.strptime(str(value), "%Y-%m").date()
    except ValueError:
        return str(value)
    return formats.month_year(month)
