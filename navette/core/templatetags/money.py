"""``{{ cents|euros }}``: an amount in cents as euros with a French decimal comma."""

from __future__ import annotations

from django import template

from navette.core import money

register = template.Library()
register.filter("euros", money.euros)
