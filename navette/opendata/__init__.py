"""Open interfaces for the library world: OAI-PMH (/oai) and SRU (/sru).

Interface layer: they parse the protocol, call catalogue and search selectors,
and write XML. No rule and no query of their own.
"""
