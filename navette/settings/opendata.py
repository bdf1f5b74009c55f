"""Open interfaces for the library world: OAI-PMH and SRU."""

import os

from navette.settings.env import env_int

#: The repository identifier in OAI identifiers (oai:<this>:<record id>). Empty: the
#: host name of NAVETTE_PUBLIC_URL. Change it never: harvesters key records on it.
NAVETTE_OAI_REPOSITORY_ID = os.environ.get("NAVETTE_OAI_REPOSITORY_ID", "")
#: The address given to harvesters in Identify. Empty: the first library's e-mail.
NAVETTE_OAI_ADMIN_EMAIL = os.environ.get("NAVETTE_OAI_ADMIN_EMAIL", "")
#: Records per ListRecords page, headers per ListIdentifiers page.
NAVETTE_OAI_RECORDS_PER_PAGE = env_int("NAVETTE_OAI_RECORDS_PER_PAGE", 200)
NAVETTE_OAI_HEADERS_PER_PAGE = env_int("NAVETTE_OAI_HEADERS_PER_PAGE", 1000)
