"""Demo part of patrons: the categories and ten patrons spread over several libraries.

PINs are generated per installation (ctx.secret) and listed in demo-accounts.json.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.hashers import check_password

from navette.core import clock
from navette.core.actors import Actor
from navette.network.models import Library
from navette.patrons.models import Patron, PatronCategory
from navette.patrons.services import ContactDetails, patron_register, patron_set_pin

CATEGORIES = [
    ("adulte", "Adulte", 12),
    ("jeune", "Jeune (moins de 18 ans)", 12),
    ("etudiant", "Étudiant", 12),
    ("collectivite", "Collectivité (école, association)", 12),
]

# card, first name, last name, birth date, category, library code, language
PATRONS = [
    ("29990001", "Lucie", "Bernard", "1985-04-12", "adulte", "lens", "fr"),
    ("29990002", "Karim", "Haddad", "1978-11-03", "adulte", "lievin-desrousseaux", "fr"),
    ("29990003", "Emma", "Lefebvre", "2011-06-21", "jeune", "avion-emile-zola", "fr"),
    ("29990004", "Hugo", "Dupont", "2003-02-09", "etudiant", "lens", "fr"),
    ("29990005", "Chantal", "Lemaire", "1952-09-30", "adulte", "harnes", "fr"),
    ("29990006", "Tom", "Wright", "1990-01-17", "adulte", "lens", "en"),
    ("29990007", "Inès", "Mansouri", "2009-12-05", "jeune", "lievin-gambetta", "fr"),
    ("29990008", "Paul", "Kowalski", "1969-07-14", "adulte", "avion-miss-robin", "fr"),
    ("29990009", "École Jean-Macé", "(classe de CM2)", None, "collectivite", "harnes", "fr"),
    ("29990010", "Sarah", "Dubois", "2001-03-28", "etudiant", "avion-emile-zola", "fr"),
]


def load(ctx) -> None:
    categories = {}
    for code, label, months in CATEGORIES:
        categories[code], _created = PatronCategory.objects.get_or_create(
            code=code, defaults={"label": label, "membership_months": months}
        )
    libraries = {lib.code: lib for lib in Library.objects.filter(is_active=True)}
    if not libraries:
        ctx.log("Lecteurs : aucune bibliothèque, rien à créer")
        return
    fallback = next(iter(libraries.values()))
    actor = Actor.system("demo")
    now = clock.now()
    created = 0
    for card, first, last, born, category, code, language in PATRONS:
        library = libraries.get(code, fallback)
        pin = ctx.secret("patrons", "card", card, "pin", 4)
        patron = Patron.objects.filter(card_number=card).first()
        if patron is None:
            patron = patron_register(
                first_name=first, last_name=last,
                birth_date=dt.date.fromisoformat(born) if born else None,
                contact=ContactDetails(
                    email=f"lecteur-{card}@example.org", street="1 place de la Mairie",
                    postcode="62300", city=library.city or library.commune,
                ),
                category=categories[category], home_library=library, card_number=card,
                actor=actor, now=now, allow_duplicate=True,
            )  # fmt: skip
            Patron.objects.filter(pk=patron.pk).update(preferred_language=language)
            created += 1
        if not patron.pin_hash or not _pin_matches(patron, pin):
            patron_set_pin(patron=patron, secret=pin, actor=actor, now=now)
        ctx.add(
            "patrons",
            {"card": card, "pin": pin, "name": f"{first} {last}", "library": library.code},
        )
    ctx.log(f"Lecteurs : {created} créés, {len(PATRONS)} au total")


def _pin_matches(patron: Patron, pin: str) -> bool:
    return check_password(pin, patron.pin_hash)
