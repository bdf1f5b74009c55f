"""Catalogue search index settings."""

from pathlib import Path

from navette.settings.env import env_choice, env_float, env_int, env_str
from navette.settings.paths import NAVETTE_HOME

#: The index lives in the data directory: derived, never committed.
NAVETTE_SEARCH_INDEX_DIR = Path(
    env_str("NAVETTE_SEARCH_INDEX_DIR", str(NAVETTE_HOME / "search-index"))
)
#: How a process brings the index up to date after a commit that queued records:
#: "background", a thread of its own (a lone process: `navette sip2` run by itself, a shell);
#: "deferred", it leaves that to the node's indexer (`navette search-indexer`, which
#: `navette serve` starts, one per node, for its web and SIP2 processes); "inline", at once
#: (tests).
NAVETTE_SEARCH_UPDATES = env_choice(
    "NAVETTE_SEARCH_UPDATES", "background", ("background", "deferred", "inline")
)
#: seconds between two looks at the outbox by `navette search-indexer`
NAVETTE_SEARCH_FOLLOW_EVERY = env_float("NAVETTE_SEARCH_FOLLOW_EVERY", 0.2, minimum=0.01)
#: threads building the index from scratch; 0: one per core, at most 4
NAVETTE_SEARCH_BUILD_THREADS = env_int("NAVETTE_SEARCH_BUILD_THREADS", 0, minimum=0)
#: Member libraries' copies (the union catalogue): seconds a state asked of a member's
#: system (SIP2 Item Information) is reused; seconds one answer may take; seconds the
#: availability of a results page may take in all (what is not known by then is shown as
#: unknown, with a link to the member's catalogue); seconds a member that did not answer
#: is left alone before it is asked again.
NAVETTE_MEMBER_AVAILABILITY_CACHE_SECONDS = env_float(
    "NAVETTE_MEMBER_AVAILABILITY_CACHE_SECONDS", 60.0, minimum=0.0
)
NAVETTE_MEMBER_AVAILABILITY_TIMEOUT = env_float(
    "NAVETTE_MEMBER_AVAILABILITY_TIMEOUT", 1.5, minimum=0.05
)
NAVETTE_MEMBER_AVAILABILITY_BUDGET = env_float(
    "NAVETTE_MEMBER_AVAILABILITY_BUDGET", 2.0, minimum=0.05
)
NAVETTE_MEMBER_DOWN_SECONDS = env_float("NAVETTE_MEMBER_DOWN_SECONDS", 30.0, minimum=0.0)
