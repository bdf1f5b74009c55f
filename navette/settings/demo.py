"""`navette demo`: where the sample data comes from."""

from navette.settings.env import env_int, env_str
from navette.settings.paths import BASE_DIR

#: Library of Congress books the demo loads (with the Evergreen and UNIMARC files: over
#: 20,000 records); the quick-start test lowers it to stay fast.
NAVETTE_DEMO_LOC_RECORDS = env_int("NAVETTE_DEMO_LOC_RECORDS", 18_000, minimum=0)
#: The shared data directory (a sibling of the repository by default).
NAVETTE_SHARED_DATA = env_str(
    "NAVETTE_SHARED_DATA", str(BASE_DIR.parent.parent / "shared" / "data")
)
#: Loans a day across the network in the demo's year of activity (about 300 days open); the
#: quick-start test lowers it to stay fast.
NAVETTE_DEMO_DAILY_LOANS = env_int("NAVETTE_DEMO_DAILY_LOANS", 30, minimum=0)
