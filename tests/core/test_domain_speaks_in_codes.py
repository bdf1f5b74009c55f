"""Services, selectors and policies return codes and data, never prose: no sentence (French
or translated), no date or number formatting, no strftime. An AST scan of their source, so
that a new sentence fails here rather than in the English interface."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

NAVETTE = Path(__file__).resolve().parents[2] / "navette"

#: the domain modules held to the rule (the scope policy is one of the policies)
DOMAIN = sorted(
    {
        *NAVETTE.glob("*/services.py"),
        *NAVETTE.glob("*/services/*.py"),
        *NAVETTE.glob("*/selectors.py"),
        *NAVETTE.glob("*/policies.py"),
        NAVETTE / "network" / "scope.py",
    }
)

#: calls that word or format: translation, Django's locale formats, ``core.formats``
WORDING_CALLS = {
    "_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy",
    "npgettext", "date_format", "time_format", "number_format", "localize", "long_date",
    "long_datetime", "short_date", "short_datetime", "month_year", "euros", "amount",
    "reason_message", "format_tokens",
}  # fmt: skip

#: French in a literal: an accented letter, or one of its small words between spaces
FRENCH = re.compile(
    r"[àâçéèêëîïôûùüÿœ«»]|(?:^|\s)(?:le|la|les|des|du|un|une|est|sont|pas|pour|dans|avec|"
    r"aucun|aucune|n'|d'|l'|qu'|ne|ni|ou|et)(?:\s|$)",
    re.IGNORECASE,
)

#: lines ending with this comment hold text that is stored as data (a note in a copy's
#: record, a closed day's name), not a message to a reader
STORED = "# stored"

#: not held to the rule yet: the network loader's report and file errors are what
#: ``navette load-network`` prints to the operator installing the network (tested as such in
#: tests/network/test_loader.py); they are to move to the command with the loader's codes
OPERATOR_REPORT = {NAVETTE / "network" / "services.py"}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def prose_in(path: Path) -> list[str]:
    """What in ``path`` words or formats for a reader: one line per finding."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        where = f"{path.relative_to(NAVETTE.parent)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if name == "strftime":
                found.append(f"{where}: strftime (format in the interface, core/formats.py)")
            elif name in WORDING_CALLS:
                found.append(f"{where}: {name}() words or formats (raise a code with data)")
        elif isinstance(node, ast.ImportFrom) and node.module in (
            "django.utils.translation", "django.utils.formats", "navette.core.formats",
        ):  # fmt: skip
            found.append(f"{where}: imports {node.module}")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and " " in node.value.strip()
            and FRENCH.search(node.value)
            and not lines[node.lineno - 1].rstrip().endswith(STORED)
        ):
            found.append(f"{where}: a sentence {node.value[:60]!r}")
    return found


def test_the_scan_sees_the_domain():
    """The glob finds the modules of every app (a renamed package would empty it)."""
    names = {p.relative_to(NAVETTE).as_posix() for p in DOMAIN}
    assert {"catalogue/services.py", "events/services.py", "digital/policies.py",
            "circulation/policies.py", "patrons/services.py", "stats/selectors.py",
            "network/scope.py"} <= names  # fmt: skip
    assert any(n.startswith("circulation/services/") for n in names)


@pytest.mark.parametrize(
    "snippet",
    [
        'raise ValidationFailed(_("Le code-barres est obligatoire."))',
        'raise BadToken("Ce lien a expiré.")',
        'x = f"{n} avis de prêt"',
        'x = day.strftime("%d/%m/%Y")',
        'x = date_format(day, "SHORT_DATE_FORMAT")',
        "from django.utils.translation import gettext as _",
    ],
)
def test_the_scan_finds_prose(tmp_path, snippet):
    """Each kind of prose or formatting is caught (the scan cannot pass by seeing nothing)."""
    module = tmp_path / "services.py"
    module.write_text(snippet + "\n", encoding="utf-8")
    global NAVETTE
    saved, NAVETTE = NAVETTE, tmp_path.parent
    try:
        assert prose_in(module)
    finally:
        NAVETTE = saved


def test_services_selectors_and_policies_hold_no_prose():
    """No sentence, no translation, no date or number formatting, no strftime in the domain:
    its errors carry a code and data, worded by ``<app>/messages.py`` for the interfaces."""
    found = [line for path in DOMAIN if path not in OPERATOR_REPORT for line in prose_in(path)]
    assert found == []
