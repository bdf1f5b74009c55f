"""``navette serve``: the web portal and staff pages (gunicorn, several workers),
the SIP2 server, the node's search indexer and the periodic jobs, on the configured
database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def default_workers() -> int:
    return int(os.environ.get("NAVETTE_WEB_WORKERS", min(8, 2 * (os.cpu_count() or 1))))


def pending_migrations() -> list[str]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{m.app_label}.{m.name}" for m, _ in plan]


class Command(BaseCommand):
    help = "Sert le portail, l'espace professionnel, le serveur SIP2 et les tâches planifiées."
    requires_system_checks = []  # run explicitly below, with a clear failure

    def add_arguments(self, parser):
        add_serve_arguments(parser)

    def handle(self, *args, **options):
        serve(self, options)


def add_serve_arguments(parser) -> None:
    parser.add_argument("--host", default=os.environ.get("NAVETTE_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("NAVETTE_PORT", "8000")))
    parser.add_argument("--sip2-port", type=int, default=settings.NAVETTE_SIP2_PORT)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--no-sip2", action="store_true", help="Ne pas démarrer le serveur SIP2.")
    parser.add_argument(
        "--no-jobs", action="store_true", help="Ne pas lancer les tâches planifiées."
    )
    parser.add_argument(
        "--no-indexer", action="store_true",
        help="Pas d'indexeur de nœud : chaque processus met l'index à jour lui-même.",
    )  # fmt: skip
    parser.add_argument(
        "--jobs-every", type=int, default=int(os.environ.get("NAVETTE_JOBS_EVERY", "300")),
        help="Intervalle des tâches planifiées, en secondes.",
    )  # fmt: skip


def serve(command: BaseCommand, options: dict) -> None:
    call_command("check", fail_level="ERROR")
    pending = pending_migrations()
    if pending:
        raise CommandError(
            f"{len(pending)} migration(s) non appliquée(s) ({pending[0]}...). "
            "Lancez « navette migrate » d'abord."
        )
    host, port = options["host"], options["port"]
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "navette.settings.base")
    env["NAVETTE_HOME"] = str(settings.NAVETTE_HOME)
    if host not in settings.ALLOWED_HOSTS and host not in ("0.0.0.0", "::"):  # noqa: S104
        env["NAVETTE_ALLOWED_HOSTS"] = ",".join([*settings.ALLOWED_HOSTS, host])
    me = [sys.executable, "-m", "navette"]
    children: list[tuple[str, subprocess.Popen]] = []
    gunicorn = [
        sys.executable, "-m", "gunicorn", "navette.wsgi:application",
        "--bind", f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "--workers", str(options["workers"]),
        "--access-logfile", "-", "--graceful-timeout", "10", "--timeout", "60",
        "--name", "navette-web",
    ]  # fmt: skip
    commands = get_commands()
    # one indexer for the node: the web and SIP2 processes only queue their changes
    indexer = "search_indexer" in commands and not options["no_indexer"]
    served_env = {**env, "NAVETTE_SEARCH_UPDATES": "deferred"} if indexer else env
    children.append(("web", subprocess.Popen(gunicorn, env=served_env)))
    if not options["no_sip2"] and "sip2" in commands:
        sip2 = [*me, "sip2", "--host", host, "--port", str(options["sip2_port"])]
        children.append(("sip2", subprocess.Popen(sip2, env=served_env)))
    if indexer:
        children.append(("search", subprocess.Popen([*me, "search_indexer"], env=env)))
    if not options["no_jobs"] and "jobs" in commands:
        jobs = [*me, "jobs", "--every", str(options["jobs_every"])]
        children.append(("jobs", subprocess.Popen(jobs, env=env)))
    command.stdout.write(f"Portail : http://{host}:{port}/   (Ctrl-C pour arrêter)")
    if any(name == "sip2" for name, _ in children):
        command.stdout.write(f"SIP2 : {host}:{options['sip2_port']}")
    _supervise(command, children)


def _supervise(command: BaseCommand, children: list[tuple[str, subprocess.Popen]]) -> None:
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    failed = None
    while not stopping:
        for name, proc in children:
            if proc.poll() is not None:
                failed = (name, proc.returncode)
                stopping = True
                break
        time.sleep(0.3)
    for _, proc in children:
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + 15
    for _, proc in children:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
    if failed:
        raise CommandError(f"le service {failed[0]} s'est arrêté (code {failed[1]})")
