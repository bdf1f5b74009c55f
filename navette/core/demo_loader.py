"""The demo network, grown by each domain app.

Each app may define ``demo.py`` with ``load(ctx: DemoContext)``. ``navette
demo`` calls them in ``DEMO_ORDER``; each must be idempotent (run again, it
reuses what is there) and adds what a visitor should try to ``ctx.accounts``.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEMO_ORDER = [
    "network",
    "staff",
    "patrons",
    "catalogue",
    "circulation",
    "search",
    "sip2",
    "events",
    "editorial",
    "digital",
    # a year at the desks, through the services, once everything above is in place
    "desk",
]


@dataclass
class DemoContext:
    home: Path
    accounts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    log: Any = print
    #: the accounts file of an earlier run, so generated passwords are reused
    previous: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: run just before the accounts file is written, once every app has loaded: an entry that
    #: a later app may change (a sample copy the demo's desk day lends) is read back then
    before_write: list[Callable[[DemoContext], None]] = field(default_factory=list)

    @classmethod
    def for_home(cls, home: Path, log: Any = print) -> DemoContext:
        path = home / "demo-accounts.json"
        previous = json.loads(path.read_text()) if path.exists() else {}
        return cls(home=home, log=log, previous=previous)

    def secret(self, kind: str, key_field: str, key: str, secret_field: str, length: int) -> str:
        """The secret given to this account on an earlier run, or a new random one.

        Demo passwords and PINs are generated per installation: none is in the
        repository.
        """
        for entry in self.previous.get(kind, []):
            if str(entry.get(key_field)) == str(key) and entry.get(secret_field):
                return str(entry[secret_field])
        if secret_field == "pin":  # noqa: S105 (a field name, not a password)
            return "".join(secrets.choice("0123456789") for _ in range(length))
        alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
        return "".join(secrets.choice(alphabet) for _ in range(length))

    def add(self, kind: str, entry: dict[str, Any]) -> None:
        self.accounts.setdefault(kind, []).append(entry)

    def write_accounts(self) -> Path:
        for refresh in self.before_write:
            refresh(self)
        path = self.home / "demo-accounts.json"
        path.write_text(json.dumps(self.accounts, ensure_ascii=False, indent=2) + "\n")
        path.chmod(0o600)
        return path


def load_demo(ctx: DemoContext) -> None:
    for app in DEMO_ORDER:
        module_name = f"navette.{app}.demo"
        if importlib.util.find_spec(module_name) is None:
            continue
        importlib.import_module(module_name).load(ctx)
