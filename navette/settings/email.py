"""E-mail settings: SMTP when NAVETTE_SMTP_HOST is set, otherwise a file backend under the
data directory, so the embedded demo never tries to reach a mail server."""

from navette.settings.env import PROBLEMS, env_bool, env_int, env_str
from navette.settings.paths import NAVETTE_HOME

EMAIL_HOST = env_str("NAVETTE_SMTP_HOST", "")
EMAIL_PORT = env_int("NAVETTE_SMTP_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("NAVETTE_SMTP_USER", "")
EMAIL_HOST_PASSWORD = env_str("NAVETTE_SMTP_PASSWORD", "")
EMAIL_USE_TLS = env_bool("NAVETTE_SMTP_STARTTLS", False)
EMAIL_USE_SSL = env_bool("NAVETTE_SMTP_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    PROBLEMS.append("NAVETTE_SMTP_STARTTLS and NAVETTE_SMTP_SSL: choose one of the two")
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env_str("NAVETTE_MAIL_FROM", "Navette <no-reply@localhost>")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = env_str(
        "NAVETTE_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
    )
    EMAIL_FILE_PATH = str(NAVETTE_HOME / "mail")

#: Absolute base of links in e-mails (cancellation links, password resets).
NAVETTE_PUBLIC_URL = env_str("NAVETTE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
#: whether NAVETTE_PUBLIC_URL was configured; if not, `navette serve` uses the address it serves
NAVETTE_PUBLIC_URL_CONFIGURED = bool(env_str("NAVETTE_PUBLIC_URL", ""))
