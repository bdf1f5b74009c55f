"""``navette serve``: the web portal and staff pages (granian, several workers),
the SIP2 server, the node's search indexer and the periodic jobs, on the configured
database, under a supervisor that restarts a service that stops (navette.core.supervisor)."""

from __future__ import annotations

import os
import socket
import sys

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import ngettext

from navette.core.supervisor import Child, Supervisor, SupervisorError


def default_workers() -> int:
    return int(settings.NAVETTE_WEB_WORKERS)


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
    parser.add_argument("--host", default=settings.NAVETTE_WEB_HOST)
    parser.add_argument("--port", type=int, default=settings.NAVETTE_WEB_PORT)
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
        "--jobs-every", type=int, default=settings.NAVETTE_JOBS_EVERY,
        help="Intervalle des tâches planifiées, en secondes.",
    )  # fmt: skip


def serve(command: BaseCommand, options: dict) -> None:
    call_command("check", fail_level="ERROR")
    pending = pending_migrations()
    if pending:
        raise CommandError(
            ngettext(
                "%(n)d migration non appliquée (%(first)s). Lancez « navette migrate » d'abord.",
                "%(n)d migrations non appliquées (%(first)s...). "
                "Lancez « navette migrate » d'abord.",
                len(pending),
            )
            % {"n": len(pending), "first": pending[0]}
        )
    host, port = options["host"], options["port"]
    use_served_address(host, port)
    env = dict(os.environ)
    env["NAVETTE_PUBLIC_URL"] = settings.NAVETTE_PUBLIC_URL
    env.setdefault("DJANGO_SETTINGS_MODULE", "navette.settings.base")
    env["NAVETTE_HOME"] = str(settings.NAVETTE_HOME)
    if host not in settings.ALLOWED_HOSTS and host not in ("0.0.0.0", "::"):  # noqa: S104
        env["NAVETTE_ALLOWED_HOSTS"] = ",".join([*settings.ALLOWED_HOSTS, host])
    me = [sys.executable, "-m", "navette"]
    commands = get_commands()
    # one indexer for the node: the web and SIP2 processes only queue their changes
    indexer = "search_indexer" in commands and not options["no_indexer"]
    served_env = {**env, "NAVETTE_SEARCH_UPDATES": "deferred"} if indexer else env
    children = [Child("web", web_server_command(host, port, options["workers"]), served_env)]
    ports = [port]
    sip2 = not options["no_sip2"] and "sip2" in commands
    if sip2:
        sip2_argv = [*me, "sip2", "--host", host, "--port", str(options["sip2_port"])]
        children.append(Child("sip2", sip2_argv, served_env))
        ports.append(options["sip2_port"])
    if indexer:
        children.append(Child("search", [*me, "search_indexer"], env))
    if not options["no_jobs"] and "jobs" in commands:
        jobs = [*me, "jobs", "--every", str(options["jobs_every"])]
        children.append(Child("jobs", jobs, env))
    supervisor = Supervisor(
        children, pid_file=settings.NAVETTE_HOME / "serve.pid", out=command.stdout
    )
    try:
        supervisor.claim()  # ends what a killed supervisor left holding the ports
    except SupervisorError as exc:
        raise CommandError(str(exc))
    try:
        for p in ports:
            check_port_free(host, p)
    except SupervisorError as exc:
        supervisor.pid_file.release()
        raise CommandError(str(exc))
    supervisor.start()
    command.stdout.write(f"Portail : http://{host}:{port}/   (Ctrl-C pour arrêter)")
    if sip2:
        command.stdout.write(f"SIP2 : {host}:{options['sip2_port']}")
    supervisor.supervise()


def use_served_address(host: str, port: int) -> None:
    """Links in mails and pages lead to the address served (``--host``, ``--port``) unless
    NAVETTE_PUBLIC_URL names the public one (a proxy in front): the default, port 8000, is
    wrong as soon as another port is served. Set here for this process; `serve` hands it on
    to the processes it starts."""
    if settings.NAVETTE_PUBLIC_URL_CONFIGURED:
        return
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
    if ":" in shown:
        shown = f"[{shown}]"
    settings.NAVETTE_PUBLIC_URL = f"http://{shown}:{port}"


def web_server_command(host: str, port: int, workers: int) -> list[str]:
    """Granian serving the WSGI application.

    Granian's Rust runtime reads requests (headers and body) asynchronously and hands only
    complete requests to the Python threads, so slow or idle clients hold no worker thread;
    a client that has not sent its headers within NAVETTE_WEB_HEADER_TIMEOUT is disconnected."""
    return [
        sys.executable, "-m", "granian", "--interface", "wsgi",
        "--host", host, "--port", str(port),
        "--workers", str(workers),
        "--blocking-threads", str(settings.NAVETTE_WEB_THREADS),
        "--http", "1",
        "--http1-header-read-timeout", str(int(settings.NAVETTE_WEB_HEADER_TIMEOUT * 1000)),
        "--backlog", "2048",
        "--workers-kill-timeout", "10",
        "--respawn-failed-workers",
        "--log-level", "info", "--access-log",
        "navette.wsgi:application",
    ]  # fmt: skip


def check_port_free(host: str, port: int) -> None:
    """Raise SupervisorError when ``host:port`` cannot be bound (another server holds it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise SupervisorError(f"le port {port} de {host} est déjà utilisé ({exc.strerror}).")
