"""Statistics fixtures: the circulation factories (libraries, patrons, copies, rules)."""

from circulation.conftest import (  # noqa: F401  (fixtures shared with the circulation tests)
    actor,
    libs,
    make_item,
    make_patron,
    make_record,
)
