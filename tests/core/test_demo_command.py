"""The quick start: ``navette demo`` sets up the Relire network and serves it."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from html import unescape

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_database_url() -> str | None:
    """On the PostgreSQL pass the demo runs on PostgreSQL too, in its own database."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return None
    import psycopg

    base = url.rsplit("/", 1)[0]
    # named after this run's test database, so that two runs on one server never collide
    name = f"{url.rsplit('/', 1)[1]}_demo_{os.environ.get('NAVETTE_TEST_RUN', os.getpid())}"
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def drop_demo_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fetch(url: str, timeout: float = 10) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (localhost)
        return response.read().decode()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One demo for the module: it loads a real catalogue, which takes a while."""
    tmp_path = tmp_path_factory.mktemp("demo")
    port, sip2_port = free_port(), free_port()
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        NAVETTE_HOME=str(tmp_path / "home"),
        NAVETTE_WEB_WORKERS="2",
        NAVETTE_DEMO_LOC_RECORDS="1500",
        # the year of activity at a slower pace: a few loans a day still fill every month
        NAVETTE_DEMO_DAILY_LOANS="3",
    )
    db_url = demo_database_url()
    if db_url:
        env["DATABASE_URL"] = db_url
    log = open(tmp_path / "demo.log", "w")  # noqa: SIM115
    cmd = [
        sys.executable,
        "-m",
        "navette",
        "demo",
        "--port",
        str(port),
        "--sip2-port",
        str(sip2_port),
    ]
    proc = subprocess.Popen(
        cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    # a year of activity through the services: about a minute of CPU, longer on a busy machine
    deadline = time.monotonic() + 900
    while True:
        if proc.poll() is not None:
            pytest.fail("navette demo exited:\n" + (tmp_path / "demo.log").read_text()[-4000:])
        try:
            fetch(base + "/", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail(
                    "navette demo did not serve within 900 s:\n"
                    + (tmp_path / "demo.log").read_text()[-4000:]
                )
            time.sleep(0.5)
    yield {
        "base": base,
        "home": tmp_path / "home",
        "env": env,
        "log": tmp_path / "demo.log",
        "sip2_port": sip2_port,
    }
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()
    if db_url:
        drop_demo_database(db_url)


def test_demo_serves_the_relire_network_in_french(demo):
    """Command 1 of the README: the portal in French, the 27 libraries with addresses and phones,
    accounts for every role written to demo-accounts.json; the staff can log in."""
    home = fetch(demo["base"] + "/")
    assert '<html lang="fr">' in home and "Relire" in home
    directory = unescape(fetch(demo["base"] + "/bibliotheques/"))
    assert directory.count('class="card library-card"') == 27
    assert "Médiathèque Robert Cousin" in directory and "03 21 69 08 30" in directory
    assert "13D route de Béthune" in directory
    accounts = json.loads((demo["home"] / "demo-accounts.json").read_text())
    roles = {entry["role"] for entry in accounts["staff"]}
    assert roles == {"network_admin", "librarian", "statistician"}
    assert all(len(entry["password"]) >= 12 for entry in accounts["staff"])
    assert len(accounts["patrons"]) >= 5 and all(p["pin"] for p in accounts["patrons"])
    assert len(accounts["kiosks"]) == 27
    assert accounts["copies"], "sample copies are listed"
    css = fetch(demo["base"] + "/static/portal/navette.css")
    assert "skip-link" in css
    log = demo["log"].read_text()
    assert "Starting granian" in log


def test_demo_accounts_file_tells_the_truth(demo):
    """The accounts file names the SIP2 port given on the command line, and its sample copies
    carry the status they have once the demo's desk day has run."""
    accounts = json.loads((demo["home"] / "demo-accounts.json").read_text())
    assert {k["sip2"] for k in accounts["kiosks"]} == {f"127.0.0.1:{demo['sip2_port']}"}
    script = (
        "import json; from navette.catalogue.models import Item;"
        "print(json.dumps({'status': {i.barcode: "
        "i.get_status_display() for i in Item.objects.filter(is_demo=True)}}))"
    )
    result = subprocess.run(
        [sys.executable, "-m", "navette", "shell", "-c", script],
        env=demo["env"], capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    truth = json.loads(result.stdout.strip().splitlines()[-1])
    copies = accounts["copies"]
    assert copies and all(c["status"] == truth["status"][c["barcode"]] for c in copies)


def test_demo_run_again_reuses_its_data(demo):
    """A second run on the same data directory keeps the accounts and loads nothing twice."""
    first = json.loads((demo["home"] / "demo-accounts.json").read_text())
    result = subprocess.run(
        [sys.executable, "-m", "navette", "demo", "--no-serve"],
        env=demo["env"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "0 bibliothèque créée, 0 mise à jour, 27 inchangées" in result.stdout
    # the first run merged the records the sample files hold twice; none is left to merge
    merged = re.search(r"catalogue : (\d+) notices en double fusionnées", demo["log"].read_text())
    assert merged and int(merged.group(1)) > 300
    assert "en double fusionnée" not in result.stdout
    second = json.loads((demo["home"] / "demo-accounts.json").read_text())
    assert second["staff"] == first["staff"]


def test_demo_runs_the_whole_system(demo):
    """Search finds a listed demo copy's title, the agenda and online library answer, and the
    SIP2 server accepts a demo kiosk's login."""
    from urllib.parse import quote

    accounts = json.loads((demo["home"] / "demo-accounts.json").read_text())
    title = accounts["copies"][0]["title"]
    word = max(title.split(), key=len).strip(".,:;/")
    results = unescape(fetch(demo["base"] + "/recherche/?q=" + quote(word)))
    assert title.split(" /")[0].strip()[:30] in results
    assert "Nuits des bibliothèques" in unescape(fetch(demo["base"] + "/agenda/"))
    assert fetch(demo["base"] + "/mediatheque-en-ligne/")
    kiosk = accounts["kiosks"][0]
    deadline = time.monotonic() + 60
    while True:
        try:
            sock = socket.create_connection(("127.0.0.1", demo["sip2_port"]), timeout=10)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    with sock:
        sock.sendall(f"9300CN{kiosk['login']}|CO{kiosk['password']}|CPx|\r".encode())
        answer = sock.recv(1024).decode()
    assert answer.startswith("941"), answer


def staff_session(demo, staff):  # type: ignore[no-untyped-def]
    """A logged-in opener for a demo staff account, and the page the login lands on."""
    import http.cookiejar
    from urllib.parse import urlencode

    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    login = demo["base"] + "/personnel/connexion/"
    page = opener.open(login, timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = {
        "csrfmiddlewaretoken": token,
        "username": staff["username"],
        "password": staff["password"],
    }
    request = urllib.request.Request(
        login, data=urlencode(form).encode(), headers={"Referer": login}
    )
    return opener, unescape(opener.open(request, timeout=10).read().decode())


def test_demo_lens_librarian_finds_a_day_of_work(demo):
    """The Lens librarian's home page counts what the demo's desk day left: titles to pull
    from the shelves for holds, the navette to pack, a hold on the shelf, overdue loans."""
    accounts = json.loads((demo["home"] / "demo-accounts.json").read_text())
    staff = next(s for s in accounts["staff"] if "lens" in s["libraries"])
    _opener, home = staff_session(demo, staff)
    lens = home.split("Médiathèque Robert Cousin (Lens)")[-1]
    counts = dict(re.findall(r"#(\w[\w-]*)\">[^<]+</a>.*?class=\"count\">(\d+)<", lens))
    assert int(counts["rayons"]) >= 3, counts
    assert int(counts["envoyer"]) >= 2, counts
    assert int(counts["etagere"]) >= 1, counts
    assert int(counts["retards"]) >= 2, counts


def test_demo_node_indexer_applies_changes_made_elsewhere(demo):
    """`navette serve` runs one search indexer for the node: a record created by another
    process that only queues its change (as the served web and SIP2 processes do) is found
    by the portal's search within seconds."""
    from urllib.parse import quote

    title = "Zygomorphe et quasicristaux du navetteur"
    code = (
        "from django.db import transaction\n"
        "from navette.catalogue.models import Record\n"
        "from navette.core.outbox import enqueue_record\n"
        "with transaction.atomic():\n"
        f"    r = Record.objects.create(flavour='unimarc', marc={{}}, title={title!r})\n"
        "    enqueue_record(r.pk)\n"
    )
    env = {**demo["env"], "NAVETTE_SEARCH_UPDATES": "deferred"}
    done = subprocess.run(
        [sys.executable, "-m", "navette", "shell", "-c", code],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    deadline = time.monotonic() + 20
    while title not in unescape(fetch(demo["base"] + "/recherche/?q=" + quote("zygomorphe"))):
        assert time.monotonic() < deadline, "the node's indexer did not apply the change"
        time.sleep(0.2)
    assert "Indexation :" in demo["log"].read_text()


def test_demo_home_page_shows_news_new_arrivals_selections_and_events(demo):
    """The demo's home page is lived-in: published news (not the draft nor the scheduled
    item), new arrivals from the copies' acquisition dates, a librarians' selection, the
    week's events, and the network's accessibility status in the footer."""
    html = unescape(fetch(demo["base"] + "/"))
    assert "Horaires des fêtes de fin d'année" in html
    assert "Programme du printemps (brouillon)" not in html
    assert "Le Mois du film documentaire arrive" not in html
    arrivals = html.split('id="carousel-nouveautes-title"', 1)[1].split("</section>", 1)[0]
    assert arrivals.count('class="carousel-item"') >= 6
    assert "Coups de cœur des bibliothécaires" in html
    events = html.split('id="events-title"', 1)[1].split("</section>", 1)[0]
    assert 'class="card event-card"' in events
    assert "Accessibilité : partiellement conforme" in html
    legal = unescape(fetch(demo["base"] + "/mentions-legales/"))
    assert "Directeur de la publication" in legal


def test_demo_statistics_show_a_year_of_activity(demo):
    """The demo lived a year through the services: the statistics pages count loans in each
    of the last twelve months, returns, renewals, holds placed and collected, copies sent by
    the navette, and the online library counts films paid in tokens in most months."""
    import csv
    import datetime as dt
    import io

    accounts = json.loads((demo["home"] / "demo-accounts.json").read_text())
    admin = next(s for s in accounts["staff"] if s["role"] == "network_admin")
    opener, _home = staff_session(demo, admin)
    today = dt.date.today()
    back = today.year * 12 + today.month - 1 - 11  # eleven months before this one
    first = dt.date(back // 12, back % 12 + 1, 1)
    period = f"de={first:%Y-%m}&a={today:%Y-%m}"

    def table(path: str) -> list[list[str]]:
        body = opener.open(f"{demo['base']}{path}?{period}", timeout=30).read().decode()
        return list(csv.reader(io.StringIO(body), delimiter=";"))[1:]

    months = table("/personnel/statistiques/tableau-mois.csv")
    assert len(months) == 12, months
    assert all(int(row[1]) > 0 for row in months), months
    assert sum(int(row[1]) for row in months) >= 12 * 40, months
    by_library = table("/personnel/statistiques/tableau-bibliotheques.csv")
    totals = [sum(int(row[i]) for row in by_library) for i in range(1, 8)]
    loans, _visitors, returns, renewals, holds, collected, navette = totals
    assert returns > loans // 2 and renewals > 0, totals
    assert holds >= 50 and collected >= 20 and navette > 0, totals
    usage = table("/personnel/mediatheque-en-ligne/usage.csv")
    with_tokens = {row[0] for row in usage if row[4] not in ("", "0")}
    assert len(with_tokens) >= 10, usage
