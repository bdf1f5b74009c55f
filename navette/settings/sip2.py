"""SIP2 server settings (self-service machines)."""

import os

from navette.settings.env import env_bool, env_float, env_int, env_str

NAVETTE_SIP2_HOST = env_str("NAVETTE_SIP2_HOST", "127.0.0.1")
NAVETTE_SIP2_PORT = env_int("NAVETTE_SIP2_PORT", 6001, minimum=1)
NAVETTE_SIP2_TLS_CERT = env_str("NAVETTE_SIP2_TLS_CERT", "")
NAVETTE_SIP2_TLS_KEY = env_str("NAVETTE_SIP2_TLS_KEY", "")
NAVETTE_SIP2_IDLE_TIMEOUT = env_int("NAVETTE_SIP2_IDLE_TIMEOUT", 600, minimum=1)
NAVETTE_SIP2_MAX_LINE = env_int("NAVETTE_SIP2_MAX_LINE", 8192, minimum=1)
#: Threads running the database work of the SIP2 server, each with its own
#: persistent connection. More threads than cores: requests mostly wait on the database.
#: On SQLite (one writer at a time) the server uses one process and one thread whatever
#: these say: more would only queue on the database lock, with long busy-wait tails.
NAVETTE_SIP2_DB_THREADS = env_int("NAVETTE_SIP2_DB_THREADS", 8, minimum=1)
#: Processes of the SIP2 server, sharing its port. Each runs Python on one core at a time.
NAVETTE_SIP2_WORKERS = env_int("NAVETTE_SIP2_WORKERS", min(4, os.cpu_count() or 1), minimum=1)
#: On PostgreSQL, the SIP2 processes bind parameters on the server and prepare the statements
#: they repeat (NAVETTE_DB_PREPARED_OPTIONS): kiosks run the same few statements all day.
NAVETTE_SIP2_PREPARED = env_bool("NAVETTE_SIP2_PREPARED", True)
#: Connections the server holds at once (each process), and from one address: beyond, a
#: new connection is closed at once. A site's kiosks behind one NAT share an address.
#: the kiosk monitor's counts are written every this many seconds (0: at each request)
NAVETTE_SIP2_ACTIVITY_FLUSH_SECONDS = env_float("NAVETTE_SIP2_ACTIVITY_FLUSH_SECONDS", 5.0)
NAVETTE_SIP2_MAX_CONNECTIONS = env_int("NAVETTE_SIP2_MAX_CONNECTIONS", 1000, minimum=1)
NAVETTE_SIP2_MAX_PER_ADDRESS = env_int("NAVETTE_SIP2_MAX_PER_ADDRESS", 64, minimum=1)
#: Seconds a connection has to log in (93) before it is closed; the idle timeout after.
NAVETTE_SIP2_LOGIN_TIMEOUT = env_int("NAVETTE_SIP2_LOGIN_TIMEOUT", 10, minimum=1)
#: Failed kiosk logins in a row that lock the kiosk account, and for how long (audited).
NAVETTE_SIP2_LOCKOUT_ATTEMPTS = env_int("NAVETTE_SIP2_LOCKOUT_ATTEMPTS", 10, minimum=1)
NAVETTE_SIP2_LOCKOUT_MINUTES = env_int("NAVETTE_SIP2_LOCKOUT_MINUTES", 15, minimum=1)
#: Failed logins from one address (any login) within the lockout period, after which its
#: logins are refused without any check (no password hash spent on it).
NAVETTE_SIP2_ADDRESS_MAX_FAILURES = env_int("NAVETTE_SIP2_ADDRESS_MAX_FAILURES", 30, minimum=1)
#: Threads hashing kiosk passwords, apart from the database threads.
NAVETTE_SIP2_HASH_THREADS = env_int("NAVETTE_SIP2_HASH_THREADS", 2, minimum=1)
