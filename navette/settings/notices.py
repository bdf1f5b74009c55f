"""E-mail notices: when "due soon" and the overdue reminders leave."""

from navette.settings.env import env_int, env_int_list

#: Days before the due date when the "due soon" notice leaves.
NAVETTE_DUE_SOON_DAYS = env_int("NAVETTE_DUE_SOON_DAYS", 3, minimum=0)
#: Days after the due date of the first, second and third reminders (checked: three
#: increasing counts, the first at least 1).
NAVETTE_OVERDUE_REMINDER_DAYS = env_int_list("NAVETTE_OVERDUE_REMINDER_DAYS", [1, 8, 15])
