"""Dates and amounts as people read them, in the active language.

Interfaces (pages, e-mails, kiosk screens) call these, or their template filters
(``{% load formats %}``), after activating the reader's language; domain code returns
dates and cents, never text. Formats come from Django's locale formats and from the
translation catalogue (context "date format"), so French reads "mardi 1er décembre 2026"
and "12,50 €" and English "Tuesday, December 1, 2026" and "€12.50".
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import pgettext


def _local(value: dt.date | dt.datetime) -> dt.date | dt.datetime:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def long_date(value: dt.date | dt.datetime, *, weekday: bool = False, year: bool = True) -> str:
    """ "1er décembre 2026", "mardi 1er décembre 2026" ("December 1, 2026",
    "Tuesday, December 1, 2026"); without the year: "mardi 1er décembre"."""
    value = _local(value)
    first = value.day == 1
    if weekday and year:
        fmt = (
            pgettext("date format", r"l j\e\r F Y") if first else pgettext("date format", "l j F Y")
        )
    elif weekday:
        fmt = pgettext("date format", r"l j\e\r F") if first else pgettext("date format", "l j F")
    elif year:
        fmt = pgettext("date format", r"j\e\r F Y") if first else pgettext("date format", "j F Y")
    else:
        fmt = pgettext("date format", r"j\e\r F") if first else pgettext("date format", "j F")
    return date_format(value, fmt)


def long_datetime(value: dt.datetime) -> str:
    """ "mardi 1er décembre 2026 à 18:30" ("Tuesday, December 1, 2026 at 6:30 p.m.")."""
    value = _local(value)  # type: ignore[assignment]
    return pgettext("date format", "%(day)s à %(time)s") % {
        "day": long_date(value, weekday=True),
        "time": date_format(value, "TIME_FORMAT"),
    }


def short_date(value: dt.date | dt.datetime) -> str:
    """A date in a table or a short message: "01/12/2026" ("12/01/2026")."""
    return date_format(_local(value), "SHORT_DATE_FORMAT")


def short_datetime(value: dt.datetime) -> str:
    """A moment in a table: "01/12/2026 18:30" ("12/01/2026 6:30 p.m.")."""
    return date_format(_local(value), "SHORT_DATETIME_FORMAT")


def month_year(value: dt.date | dt.datetime) -> str:
    """ "décembre 2026" ("December 2026"): a month named, never "2026-12"."""
    return date_format(_local(value), "YEAR_MONTH_FORMAT")


def month_short(value: dt.date | dt.datetime) -> str:
    """A month on a chart's axis: "janv." ("Jan.")."""
    return date_format(_local(value), "N")


def amount(cents: int | None) -> str:
    """An amount of cents as a number of euros in the active language, without the currency
    and without grouping: "1234,50" ("1234.50"); what a payment field shows and
    ``navette.core.money.parse_euros`` reads back."""
    value = Decimal(int(cents or 0)) / 100
    return number_format(value, decimal_pos=2, use_l10n=True)


def euros(cents: int | None) -> str:
    """An amount of cents in euros with its currency: "12,50 €" ("€12.50")."""
    return pgettext("amount in euros", "%(amount)s €") % {"amount": amount(cents)}


def tokens(halves: int | None) -> str:
    """A count kept in halves (the online media library's tokens) as people read it:
    ``3`` -> "1,5" ("1.5"), ``8`` -> "4"."""
    halves = int(halves or 0)
    return number_format(Decimal(halves) / 2, decimal_pos=1 if halves % 2 else 0, use_l10n=True)
