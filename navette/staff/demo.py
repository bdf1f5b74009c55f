"""Demo part of the back office: one staff account per role, at the demo libraries."""

from __future__ import annotations

from navette.core.models import Role, User
from navette.network.models import Library

STAFF = [
    ("admin", Role.NETWORK_ADMIN, "Alice", "Administratrice", []),
    ("biblio-lens", Role.LIBRARIAN, "Bruno", "Bibliothécaire", ["lens", "harnes"]),
    (
        "biblio-avion",
        Role.LIBRARIAN,
        "Chloé",
        "Bibliothécaire",
        ["avion-emile-zola", "avion-miss-robin"],
    ),
    ("stats", Role.STATISTICIAN, "Denis", "Statisticien", []),
]


def load(ctx) -> None:
    for username, role, first, last, codes in STAFF:
        password = ctx.secret("staff", "username", username, "password", 14)
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, role=role, first_name=first, last_name=last)
            user.set_password(password)
            user.save()
            user.libraries.set(Library.objects.filter(code__in=codes))
        elif not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        ctx.add(
            "staff",
            {"username": username, "password": password, "role": str(role), "libraries": codes},
        )
