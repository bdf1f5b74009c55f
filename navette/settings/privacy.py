"""Privacy and security of patrons' data: lockouts, retention periods, reset links.

Each has a safe default (CNIL: keep as little as possible, as briefly as possible).
"""

from navette.settings.env import env_int

#: Wrong PINs in a row that lock a card, and for how long.
NAVETTE_LOCKOUT_ATTEMPTS = env_int("NAVETTE_LOCKOUT_ATTEMPTS", 5, minimum=1)
NAVETTE_LOCKOUT_MINUTES = env_int("NAVETTE_LOCKOUT_MINUTES", 15, minimum=1)
#: Failed logins allowed from one address per window, whatever the cards tried.
NAVETTE_LOGIN_MAX_FAILURES_PER_ADDRESS = env_int(
    "NAVETTE_LOGIN_MAX_FAILURES_PER_ADDRESS", 20, minimum=1
)
NAVETTE_LOGIN_ADDRESS_WINDOW_MINUTES = env_int(
    "NAVETTE_LOGIN_ADDRESS_WINDOW_MINUTES", 15, minimum=1
)
#: Months after return when a loan loses its patron.
NAVETTE_ANONYMISE_AFTER_MONTHS = env_int("NAVETTE_ANONYMISE_AFTER_MONTHS", 4, minimum=1)
#: Months after the end of membership when an inactive patron is deleted.
NAVETTE_PURGE_AFTER_MONTHS = env_int("NAVETTE_PURGE_AFTER_MONTHS", 12, minimum=1)
#: Minutes a PIN reset link stays valid.
NAVETTE_RESET_LINK_MINUTES = env_int("NAVETTE_RESET_LINK_MINUTES", 60, minimum=1)
#: Event registrations lose names and e-mails this many days after the event.
NAVETTE_EVENTS_ANONYMISE_DAYS = env_int("NAVETTE_EVENTS_ANONYMISE_DAYS", 30, minimum=0)
