"""`navette serve`: the address, the web workers and the periodic jobs."""

import os

from navette.settings.env import env_int, env_str

NAVETTE_WEB_HOST = env_str("NAVETTE_HOST", "127.0.0.1")
NAVETTE_WEB_PORT = env_int("NAVETTE_PORT", 8000, minimum=1)
NAVETTE_WEB_WORKERS = env_int("NAVETTE_WEB_WORKERS", min(8, 2 * (os.cpu_count() or 1)), minimum=1)
#: seconds between two runs of the periodic jobs
NAVETTE_JOBS_EVERY = env_int("NAVETTE_JOBS_EVERY", 300, minimum=1)
