"""Settings for ``python -m bench sip2 --defer-index``: the SIP2 processes leave search
re-indexing to the ``search-outbox`` job instead of a background thread of their own."""

from navette.settings.base import *  # noqa: F403

NAVETTE_SEARCH_UPDATES = "deferred"
