"""A second Navette instance that plays a member library's system: its own SQLite database
and data directory, its OAI-PMH provider (/oai) and its SIP2 server, started by
``navette serve`` on free loopback ports. Tests change its catalogue through ``run`` (a
Python snippet run with Django set up in the member's environment)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

READY_WITHIN = 180  # seconds: migrations and five processes on a shared, loaded machine
KIOSK_LOGIN = "portail-reseau"
KIOSK_PASSWORD = "mot-de-passe-du-portail"  # noqa: S105 (a test account of the member)
LIBRARY_CODE = "rbx-centre"

SETUP = """
from navette.network.models import Library, Network
from navette.sip2.models import Kiosk

network = Network.current()
library, _ = Library.objects.get_or_create(
    code=%(code)r,
    defaults={"network": network, "name": "Médiathèque La Grand-Plage", "commune": "Roubaix"},
)
kiosk = Kiosk(login=%(login)r, name="Portail du réseau", library=library)
kiosk.set_password(%(password)r)
kiosk.save()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def member_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NAVETTE_", "DATABASE_"))}
    env.update(
        NAVETTE_HOME=str(home),
        DJANGO_SETTINGS_MODULE="navette.settings.base",
        NAVETTE_WEB_WORKERS="1",
        NAVETTE_SEARCH_UPDATES="background",
    )
    return env


class MemberInstance:
    """The member's Navette: ``start()`` migrates, loads its library and kiosk, serves."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.web = free_port()
        self.sip2 = free_port()
        self.log_path = home / "serve.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def oai_url(self) -> str:
        return f"http://127.0.0.1:{self.web}/oai"

    def navette(self, *args: str, timeout: float = 600) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "navette", *args], env=member_env(self.home),
            capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        assert result.returncode == 0, f"navette {' '.join(args)}:\n{result.stderr[-3000:]}"
        return result.stdout

    def run(self, code: str, timeout: float = 300) -> str:
        """Run ``code`` with Django set up on the member's database; its stdout."""
        program = "import django\ndjango.setup()\n" + textwrap.dedent(code)
        result = subprocess.run(
            [sys.executable, "-c", program], env=member_env(self.home),
            capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    def start(self, marc_file: Path | None = None) -> None:
        self.navette("migrate", "-v0")
        self.run(SETUP % {"code": LIBRARY_CODE, "login": KIOSK_LOGIN, "password": KIOSK_PASSWORD})
        if marc_file is not None:
            self.navette("import-marc", str(marc_file), "--library", LIBRARY_CODE,
                         "--rejects", str(self.home / "rejects.mrc"))  # fmt: skip
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "navette", "serve", "--port", str(self.web),
             "--sip2-port", str(self.sip2), "--jobs-every", "3600"],
            env=member_env(self.home), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        log.close()
        self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_WITHIN
        assert self.proc is not None
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"member's navette serve exited:\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.oai_url}?verb=Identify", timeout=5) as r:  # noqa: S310
                    oai = r.status == 200
                with socket.create_connection(("127.0.0.1", self.sip2), timeout=5):
                    sip2 = True
                if oai and sip2:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"member not ready in {READY_WITHIN} s:\n{self.tail()}")
            time.sleep(0.3)

    def tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def marcxml_collection(records: list[dict[str, object]]) -> str:
    """A MARCXML file of MARC21 book records: title, author, ISBN, 001, and one 952 copy per
    barcode (owning library ``LIBRARY_CODE``)."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<collection xmlns="http://www.loc.gov/MARC21/slim">']  # fmt: skip
    for r in records:
        out.append("<record><leader>00000nam a2200000 a 4500</leader>")
        out.append(f'<controlfield tag="001">{r["id"]}</controlfield>')
        out.append('<controlfield tag="003">MEMBRE</controlfield>')
        if r.get("isbn"):
            out.append(
                f'<datafield tag="020" ind1=" " ind2=" "><subfield code="a">{r["isbn"]}'
                "</subfield></datafield>"
            )
        out.append(
            f'<datafield tag="100" ind1="1" ind2=" "><subfield code="a">{r["author"]}'
            "</subfield></datafield>"
        )
        out.append(
            f'<datafield tag="245" ind1="1" ind2="0"><subfield code="a">{r["title"]}'
            "</subfield></datafield>"
        )
        for barcode in r.get("barcodes", []):  # type: ignore[attr-defined]
            out.append(
                '<datafield tag="952" ind1=" " ind2=" ">'
                f'<subfield code="a">{LIBRARY_CODE}</subfield>'
                f'<subfield code="b">{LIBRARY_CODE}</subfield>'
                f'<subfield code="o">{r.get("call", "R")}</subfield>'
                f'<subfield code="p">{barcode}</subfield></datafield>'
            )
        out.append("</record>")
    out.append("</collection>")
    return "\n".join(out)
