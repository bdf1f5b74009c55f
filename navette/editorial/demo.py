"""Demo part of the portal's contents: news of the network and of two libraries (one still
a draft, one scheduled), a page, two librarians' selections, the legal pages, and the
acquisition dates that make the demo's copies new arrivals.

Idempotent: a second run finds its items by title and adds nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from navette.catalogue.models import DocType, Item, ItemStatus, Record
from navette.core import clock
from navette.core.actors import Actor
from navette.editorial.models import (
    AccessibilityCompliance,
    Article,
    ArticleKind,
    LegalPage,
    LegalPageKey,
    PublicationStatus,
    Selection,
)
from navette.editorial.services import (
    article_save,
    legal_page_save,
    selection_entry_add,
    selection_save,
)
from navette.network.models import Library

ACTOR = Actor.system("demo")
#: acquisition dates are spread over this many days before the demo's day
ACQUISITION_SPREAD_DAYS = 365

NEWS = [
    # (title, library code or None, days since publication, summary, body)
    (
        "Une seule carte pour les 27 bibliothèques",
        None,
        20,
        "Inscrite dans une bibliothèque du réseau, votre carte vaut dans toutes les autres.",
        "Empruntez à Lens, rendez à Liévin : **la navette** rapporte vos documents dans "
        "votre bibliothèque.\n\n- inscription gratuite ;\n- jusqu'à 20 documents ;\n"
        "- réservations en ligne depuis [le catalogue](/recherche/).",
    ),
    (
        "Horaires des fêtes de fin d'année",
        None,
        3,
        "Les bibliothèques ferment le 25 décembre et le 1er janvier.",
        "## Fermetures\n\nToutes les bibliothèques du réseau sont fermées les jours "
        "fériés. Les boîtes de retour restent accessibles.\n\nConsultez les horaires de "
        "chaque bibliothèque sur [sa page](/bibliotheques/).",
    ),
    (
        "Nouveau : des liseuses à emprunter",
        None,
        9,
        "Dix liseuses chargées de romans récents rejoignent les collections.",
        "Les liseuses s'empruntent pour trois semaines, comme un livre. *Demandez-les à "
        "l'accueil.*",
    ),
    (
        "Atelier numérique tous les mercredis",
        "lens",
        5,
        "Apprendre à utiliser sa tablette, pas à pas, avec un bibliothécaire.",
        "Sur inscription à l'accueil ou par téléphone. Venez avec votre appareil.",
    ),
    (
        "Travaux dans la salle jeunesse",
        "lievin-gambetta",
        2,
        "Au pôle Gambetta, la salle jeunesse déménage au rez-de-chaussée pendant deux semaines.",
        "Les albums et les bandes dessinées restent empruntables pendant les travaux.",
    ),
]
DRAFT_TITLE = "Programme du printemps (brouillon)"
SCHEDULED_TITLE = "Le Mois du film documentaire arrive"
PAGE_TITLE = "S'inscrire dans les bibliothèques du réseau"
SELECTIONS = [
    # (title, library code or None, intro, document types)
    ("Coups de cœur des bibliothécaires", None,
     "Ce que nous avons aimé ce mois-ci, à emprunter dans tout le réseau.", (DocType.BOOK,)),
    ("À voir et à écouter", "lens",
     "Films, musique et livres audio choisis à la médiathèque de Lens.",
     (DocType.VIDEO, DocType.MUSIC, DocType.AUDIOBOOK, DocType.COMIC, DocType.BOOK)),
]  # fmt: skip
COMMENTS = [
    "Impossible à lâcher avant la dernière page.",
    "Un classique qui se relit avec plaisir.",
    "Pour découvrir le sujet sans prérequis.",
    "Drôle et tendre à la fois.",
    "Une belle surprise de la rentrée.",
    "À partager en famille.",
]
LEGAL = {
    LegalPageKey.LEGAL_NOTICE: (
        "## Éditeur\n\nRelire — Bibliothèques en réseau de Lens-Liévin, communauté "
        "d'agglomération de Lens-Liévin.\n\n## Directeur de la publication\n\nLe président "
        "de la communauté d'agglomération.\n\n## Hébergement\n\nServeurs de la communauté "
        "d'agglomération, en France."
    ),
    LegalPageKey.PERSONAL_DATA: (
        "## Ce que nous gardons\n\nVos nom, coordonnées et prêts en cours, pour gérer votre "
        "inscription. L'historique de vos prêts est anonymisé à leur retour, sauf si vous "
        "demandez à le garder.\n\n## Vos droits\n\nVous pouvez consulter, corriger ou "
        "supprimer vos données à l'accueil de votre bibliothèque ou depuis votre compte "
        "lecteur, et saisir la CNIL."
    ),
    LegalPageKey.ACCESSIBILITY: (
        "Le réseau Relire s'engage à rendre son portail accessible conformément à "
        "l'article 47 de la loi n° 2005-102 du 11 février 2005.\n\n## Résultats des "
        "tests\n\nUne auto-évaluation a été menée sur les pages principales.\n\n## Retour "
        "d'information\n\nSi vous ne pouvez pas accéder à un contenu, écrivez à votre "
        "bibliothèque : nous vous le ferons parvenir sous une autre forme."
    ),
}


def load(ctx: Any) -> None:
    now = clock.now()
    libraries = {lib.code: lib for lib in Library.objects.filter(is_active=True)}
    if not libraries:
        ctx.log("Portail : aucune bibliothèque, rien à faire.")
        return
    dated = _date_acquisitions(clock.today(now))
    news = _news(now, libraries)
    selections = _selections(now, libraries)
    for key, body in LEGAL.items():
        if not LegalPage.objects.filter(key=key).exists():
            legal_page_save(key=key, body=body, compliance=AccessibilityCompliance.PARTIAL,
                            actor=ACTOR, now=now)  # fmt: skip
    ctx.log(
        f"Portail : {news} actualités ou pages, {selections} sélections, {dated} exemplaires datés"
    )


def _date_acquisitions(today: dt.date) -> int:
    """Give the demo's copies acquisition dates spread over the past year (the latest ones
    make the home page's new arrivals), unless some demo copy already has one."""
    demo = Item.objects.filter(is_demo=True)
    if demo.filter(acquired_on__isnull=False).exists():
        return 0
    changed = 0
    ids = list(demo.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), 2000):
        batch = list(Item.objects.filter(pk__in=ids[start : start + 2000]).only("pk"))
        for item in batch:
            # a fixed scatter (a multiplicative hash of the key): the same dates on every run
            item.acquired_on = today - dt.timedelta(days=(item.pk * 7919) % ACQUISITION_SPREAD_DAYS)
        with transaction.atomic():
            Item.objects.bulk_update(batch, ["acquired_on"])
        changed += len(batch)
    return changed


def _news(now: dt.datetime, libraries: dict[str, Library]) -> int:
    made = 0
    for title, code, days_ago, summary, body in NEWS:
        if Article.objects.filter(title=title).exists() or (code and code not in libraries):
            continue
        article_save(
            article=None,
            fields={"kind": ArticleKind.NEWS, "title": title, "summary": summary, "body": body,
                    "library": libraries[code] if code else None,
                    "status": PublicationStatus.PUBLISHED,
                    "publish_from": now - dt.timedelta(days=days_ago)},
            actor=ACTOR, now=now,
        )  # fmt: skip
        made += 1
    extra = [
        (DRAFT_TITLE, ArticleKind.NEWS, PublicationStatus.DRAFT, None),
        (SCHEDULED_TITLE, ArticleKind.NEWS, PublicationStatus.PUBLISHED,
         now + dt.timedelta(days=10)),
        (PAGE_TITLE, ArticleKind.PAGE, PublicationStatus.PUBLISHED, None),
    ]  # fmt: skip
    for title, kind, status, start in extra:
        if Article.objects.filter(title=title).exists():
            continue
        article_save(
            article=None,
            fields={"kind": kind, "title": title, "library": None, "status": status,
                    "publish_from": start,
                    "body": "Munissez-vous d'une pièce d'identité ; l'inscription est "
                            "gratuite et immédiate."},
            actor=ACTOR, now=now,
        )  # fmt: skip
        made += 1
    return made


def _selections(now: dt.datetime, libraries: dict[str, Library]) -> int:
    made = 0
    for title, code, intro, doc_types in SELECTIONS:
        if Selection.objects.filter(title=title).exists() or (code and code not in libraries):
            continue
        library = libraries[code] if code else None
        records = Record.objects.filter(
            is_demo=True, doc_type__in=doc_types, items__status=ItemStatus.AVAILABLE
        )
        if library is not None:
            records = records.filter(items__owning_library=library)
        picked = list(records.distinct().order_by("-year", "pk")[:8])
        if not picked:
            continue
        selection = selection_save(
            selection=None,
            fields={"title": title, "intro": intro, "library": library,
                    "status": PublicationStatus.PUBLISHED},
            actor=ACTOR, now=now,
        )  # fmt: skip
        for n, record in enumerate(picked):
            selection_entry_add(selection=selection, record=record,
                                comment=COMMENTS[n % len(COMMENTS)], actor=ACTOR, now=now)  # fmt: skip
        made += 1
    return made
