"""System checks for the OAI-PMH and SRU settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

#: the record schema names SRU answers (see navette.opendata.sru.SCHEMAS)
SRU_SCHEMA_NAMES = {"marcxml", "marc21", "unimarc", "marcxchange", "unimarcxml", "dc"}


@register(Tags.compatibility)
def check_opendata_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    problems = []
    if settings.NAVETTE_SRU_HOLDINGS_FIELD not in ("", "852", "995"):
        problems.append(
            Error(
                f"NAVETTE_SRU_HOLDINGS_FIELD={settings.NAVETTE_SRU_HOLDINGS_FIELD!r}: "
                "expected 852, 995 or nothing (by the record's MARC flavour).",
                id="navette.E101",
            )
        )
    if settings.NAVETTE_SRU_DEFAULT_SCHEMA not in SRU_SCHEMA_NAMES:
        problems.append(
            Error(
                f"NAVETTE_SRU_DEFAULT_SCHEMA={settings.NAVETTE_SRU_DEFAULT_SCHEMA!r}: "
                "expected marcxml, unimarc or dc.",
                id="navette.E102",
            )
        )
    for name in ("NAVETTE_OAI_RECORDS_PER_PAGE", "NAVETTE_OAI_HEADERS_PER_PAGE",
                 "NAVETTE_SRU_DEFAULT_RECORDS", "NAVETTE_SRU_MAX_RECORDS"):  # fmt: skip
        if getattr(settings, name) < 1:
            problems.append(Error(f"{name} must be at least 1.", id="navette.E103"))
    return problems
