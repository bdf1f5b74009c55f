"""Online media library settings: the identity provider (CAS, OpenID Connect)."""

from navette.settings.env import env_int, env_str

#: The OpenID Connect issuer (the portal's public base URL, no trailing slash).
#: Empty: derived from each request's scheme and host (which ALLOWED_HOSTS limits).
NAVETTE_OIDC_ISSUER = env_str("NAVETTE_OIDC_ISSUER", "").rstrip("/")

#: Months after which the token ledger forgets which patron launched which title (the
#: amounts, titles, libraries and categories stay for the accounts). At least 1: the
#: ledger is also where a relaunch within a title's access window (at most four weeks)
#: is recognised.
NAVETTE_TOKEN_ENTRIES_ANONYMISE_AFTER_MONTHS = env_int(
    "NAVETTE_TOKEN_ENTRIES_ANONYMISE_AFTER_MONTHS", 4, minimum=1
)
