"""Fixtures for interface tests: the circulation factories (libraries open Tuesday to
Saturday with network rules, patrons, records, copies), the search tests' index and small
catalogue, and staff accounts by role."""

from __future__ import annotations

import pytest
from circulation.conftest import (  # noqa: F401  (fixtures shared with the circulation tests)
    actor,
    libs,
    make_item,
    make_patron,
    make_record,
)
from search.conftest import catalogue, index_dir  # noqa: F401  (shared with the search tests)

from navette.core.models import Role, User


@pytest.fixture
def staff_user(libs):  # noqa: F811  (the circulation fixture)
    """A staff account by name: ``avion`` and ``lens`` are librarians of that one library,
    ``admin`` a network administrator."""

    def make(who: str) -> User:
        if who == "admin":
            return User.objects.create_user("admin-reseau", password="x", role=Role.NETWORK_ADMIN)
        user = User.objects.create_user(f"bib-{who}", password="x", role=Role.LIBRARIAN)
        user.libraries.add(libs[who.capitalize()])
        return user

    return make
