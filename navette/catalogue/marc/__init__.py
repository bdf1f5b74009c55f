"""MARC reading and writing: ISO 2709 and MARCXML, MARC21 and UNIMARC.

Records are held as MARC-in-JSON dictionaries::

    {"leader": "...", "fields": [{"001": "..."},
                                 {"245": {"ind1": "1", "ind2": "0",
                                          "subfields": [{"a": "..."}]}}]}
"""

from __future__ import annotations


class MarcError(Exception):
    """A record that cannot be read: the message says why, in French."""
