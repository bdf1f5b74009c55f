"""Security settings: login throttling (django-axes), Content-Security-Policy (django-csp),
HTTPS behind a proxy, sessions.

Production behind a TLS proxy sets ``NAVETTE_SECURE_COOKIES=1`` (secure cookies, HSTS,
redirect to HTTPS) and ``NAVETTE_TRUSTED_PROXIES`` (the proxy's address, so that the
client's address and the request's scheme are read from the proxy's headers).
"""

from __future__ import annotations

import datetime as dt
import ipaddress

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from navette.settings.env import env_bool, env_int, env_list

# --- HTTPS ------------------------------------------------------------------------------------
NAVETTE_SECURE = env_bool("NAVETTE_SECURE_COOKIES", False)
SESSION_COOKIE_SECURE = NAVETTE_SECURE
CSRF_COOKIE_SECURE = NAVETTE_SECURE
SECURE_SSL_REDIRECT = NAVETTE_SECURE
SECURE_HSTS_SECONDS = env_int("NAVETTE_HSTS_SECONDS", 31536000) if NAVETTE_SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("NAVETTE_HSTS_INCLUDE_SUBDOMAINS", True)
# the preload token is inert until the domain's owner submits it (and only on a registrable
# domain, never on a portal's sub-domain): on by default, so check --deploy stays quiet
SECURE_HSTS_PRELOAD = env_bool("NAVETTE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

#: Addresses or networks of the reverse proxies in front of Navette (comma-separated,
#: e.g. ``127.0.0.1,10.0.0.0/24``). Only requests arriving from them have their
#: X-Forwarded-For (client address) and X-Forwarded-Proto (https) headers believed.
NAVETTE_TRUSTED_PROXIES = env_list("NAVETTE_TRUSTED_PROXIES", [])
for _proxy in NAVETTE_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(
            f"NAVETTE_TRUSTED_PROXIES: {_proxy!r} is not an address or a network ({_exc})"
        ) from _exc
if NAVETTE_TRUSTED_PROXIES:
    # links (PIN-reset, e-mails) are built as https:// when the proxy says so; the
    # middleware navette.core.middleware.TrustedProxyMiddleware drops the header when the
    # request did not come from a trusted proxy
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- sessions ---------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
#: a staff session, or a patron's on a personal device, lasts 8 hours from the login
SESSION_COOKIE_AGE = env_int("NAVETTE_SESSION_HOURS", 8) * 3600
#: a patron who ticks "ordinateur public": the session ends with the browser, or after this
#: many minutes without a page
NAVETTE_PUBLIC_COMPUTER_SESSION_MINUTES = env_int("NAVETTE_PUBLIC_COMPUTER_SESSION_MINUTES", 15)

# --- Content-Security-Policy -------------------------------------------------------------------
# No inline script, handler or style anywhere: scripts and styles come from the portal's
# own static files (htmx included). JSON-LD blocks are data, not scripts, and are allowed.
# No form-action: browsers apply it to the redirects that follow a form, and launching an
# online resource posts to the portal, which redirects to the vendor's own site (any origin
# a network administrator configures).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "https:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# --- staff and administrator logins: django-axes ----------------------------------------------
NAVETTE_STAFF_LOCKOUT_ATTEMPTS = env_int("NAVETTE_STAFF_LOCKOUT_ATTEMPTS", 5)
NAVETTE_STAFF_MAX_FAILURES_PER_ADDRESS = env_int("NAVETTE_STAFF_MAX_FAILURES_PER_ADDRESS", 20)
NAVETTE_STAFF_LOCKOUT_MINUTES = env_int("NAVETTE_STAFF_LOCKOUT_MINUTES", 15)
if NAVETTE_STAFF_MAX_FAILURES_PER_ADDRESS < NAVETTE_STAFF_LOCKOUT_ATTEMPTS:
    raise ImproperlyConfigured(
        "NAVETTE_STAFF_MAX_FAILURES_PER_ADDRESS must be at least NAVETTE_STAFF_LOCKOUT_ATTEMPTS"
    )
#: days the staff login logs (axes' access and failure logs) are kept
NAVETTE_STAFF_LOGIN_LOG_DAYS = env_int("NAVETTE_STAFF_LOGIN_LOG_DAYS", 180)
AXES_ENABLED = True
AXES_HANDLER = "navette.core.throttle.StaffLoginHandler"
# an account is locked after NAVETTE_STAFF_LOCKOUT_ATTEMPTS failures, an address after
# NAVETTE_STAFF_MAX_FAILURES_PER_ADDRESS (StaffLoginHandler counts the two apart)
AXES_FAILURE_LIMIT = NAVETTE_STAFF_LOCKOUT_ATTEMPTS
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = dt.timedelta(minutes=NAVETTE_STAFF_LOCKOUT_MINUTES)
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "navette.core.client.client_ip"
AXES_LOCKOUT_CALLABLE = "navette.core.throttle.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False
