"""Online media library settings: the identity provider (CAS, OpenID Connect)."""

import os

#: The OpenID Connect issuer (the portal's public base URL, no trailing slash).
#: Empty: derived from each request's scheme and host (which ALLOWED_HOSTS limits).
NAVETTE_OIDC_ISSUER = os.environ.get("NAVETTE_OIDC_ISSUER", "").rstrip("/")
