"""Online media library settings: the identity provider (CAS, OpenID Connect)."""

import os

from navette.settings.env import env_int

#: The OpenID Connect issuer (the portal's public base URL, no trailing slash).
#: Empty: derived from each request's scheme and host (which ALLOWED_HOSTS limits).
NAVETTE_OIDC_ISSUER = os.environ.get("NAVETTE_OIDC_ISSUER", "").rstrip("/")

#: Months after which the token ledger forgets which patron launched which title (the
#: amounts, titles, libraries and categories stay for the accounts). At least 1: the
#: ledger is also where a relaunch within a title's access window (at most four weeks)
#: is recognised.
NAVETTE_TOKEN_ENTRIES_ANONYMISE_AFTER_MONTHS = env_int(
    "NAVETTE_TOKEN_ENTRIES_ANONYMISE_AFTER_MONTHS", 4
)
if NAVETTE_TOKEN_ENTRIES_ANONYMISE_AFTER_MONTHS < 1:
    raise ValueError(
        "NAVETTE_TOKEN_ENTRIES_ANONYMISE_AFTER_MONTHS must be at least 1, got "
        f"{NAVETTE_TOKEN_ENTRIES_ANONYMISE_AFTER_MONTHS}"
    )
