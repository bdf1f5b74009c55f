"""The desk layer: one use case per thing a person or a machine does at a library.

Each function takes identifiers as typed or scanned (barcode, card), the library, the actor
and the time; normalises the identifiers once (``identifiers``); calls the circulation,
catalogue or patron service, which checks the actor's right to act at that library
(``navette.network.scope``); and returns an ``Outcome``: a stable code and data, never prose.
Interfaces (staff, portal, api, sip2) map codes to their medium through one table each.
"""
