"""The data directory, which every other settings module may place files under."""

from pathlib import Path

from navette.settings.env import env_str

BASE_DIR = Path(__file__).resolve().parent.parent

#: ``./var`` unless NAVETTE_HOME is set: database (SQLite), secret key, index, mail, media
NAVETTE_HOME = Path(env_str("NAVETTE_HOME", "var")).expanduser().resolve()
