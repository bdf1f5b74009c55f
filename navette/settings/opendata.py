"""Open interfaces for the library world: OAI-PMH and SRU."""

from navette.settings.env import env_int, env_str

#: The repository identifier in OAI identifiers (oai:<this>:<record id>). Empty: the
#: host name of NAVETTE_PUBLIC_URL. Change it never: harvesters key records on it.
NAVETTE_OAI_REPOSITORY_ID = env_str("NAVETTE_OAI_REPOSITORY_ID", "")
#: The address given to harvesters in Identify. Empty: the first library's e-mail.
NAVETTE_OAI_ADMIN_EMAIL = env_str("NAVETTE_OAI_ADMIN_EMAIL", "")
#: Records per ListRecords page, headers per ListIdentifiers page.
NAVETTE_OAI_RECORDS_PER_PAGE = env_int("NAVETTE_OAI_RECORDS_PER_PAGE", 200, minimum=1)
NAVETTE_OAI_HEADERS_PER_PAGE = env_int("NAVETTE_OAI_HEADERS_PER_PAGE", 1000, minimum=1)

#: SRU: the field that carries copies and their status in MARC records: "852" (MARC21
#: location) or "995" (French UNIMARC copies). Empty: 852 for MARC21 records, 995 for UNIMARC.
NAVETTE_SRU_HOLDINGS_FIELD = env_str("NAVETTE_SRU_HOLDINGS_FIELD", "")
#: SRU: records per response when the client does not say, and the most it may ask.
NAVETTE_SRU_DEFAULT_RECORDS = env_int("NAVETTE_SRU_DEFAULT_RECORDS", 10, minimum=1)
NAVETTE_SRU_MAX_RECORDS = env_int("NAVETTE_SRU_MAX_RECORDS", 100, minimum=1)
#: SRU: the record schema answered when the client names none (marcxml, unimarc or dc).
NAVETTE_SRU_DEFAULT_SCHEMA = env_str("NAVETTE_SRU_DEFAULT_SCHEMA", "marcxml")
