"""The words of the online media library's refusals, in the reader's language (dates and
token counts in its formats): one wording per error code, filled from the error's context
(registered in ``DigitalConfig.ready``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from navette.core.errors import Wording
from navette.core.formats import long_date
from navette.digital.formats import format_tokens
from navette.digital.models import CapPeriod, ResourceKind

#: why a card or a title is refused (``AccessRefused``'s ``reason``)
ACCESS: dict[str, Wording] = {
    "card_expired": lambda c: (
        _(
            "Votre carte a expiré le %(date)s : renouvelez votre adhésion dans une bibliothèque "
            "du réseau pour accéder aux ressources en ligne."
        )
        % {"date": long_date(c["expired_on"])}
    ),  # fmt: skip
    "card_blocked": lambda c: _(
        "Votre carte est bloquée : adressez-vous à votre bibliothèque pour accéder aux "
        "ressources en ligne."
    ),
    "category_not_allowed": lambda c: _(
        "Cette ressource n'est pas ouverte à votre catégorie de lecteur."
    ),
    "too_young": lambda c: (
        _("Cette ressource est réservée aux lecteurs de %(age)s ans et plus.")
        % {"age": c["minimum_age"]}
    ),
    "title_unavailable": lambda c: _(
        "Ce titre n'est pas ou plus disponible dans la médiathèque en ligne."
    ),
    "ambiguous_title": lambda c: _("Cette adresse désigne plusieurs titres à la fois."),
}


def access_refused(c: Mapping[str, Any]) -> str:
    """Why a card or a title is refused (``c["reason"]``, one of ``ACCESS``)."""
    return ACCESS[c["reason"]](c)


def _insufficient(c: Mapping[str, Any]) -> str:
    return _(
        "Votre solde de jetons ce mois-ci est de %(left)s et « %(title)s » en coûte %(cost)s : "
        "vous ne pouvez pas le lancer. Votre solde revient à %(allowance)s le %(renew)s."
    ) % {
        "left": format_tokens(c["left"]), "title": c["title"], "cost": format_tokens(c["cost"]),
        "allowance": format_tokens(c["allowance"]), "renew": long_date(c["renews_on"]),
    }  # fmt: skip


def _cap_reached(c: Mapping[str, Any]) -> str:
    monthly = c["period"] == CapPeriod.MONTH
    return _(
        "La médiathèque en ligne a atteint son plafond %(label)s de jetons : aucun titre "
        "payant ne peut être lancé avant %(when)s."
    ) % {
        "label": _("mensuel") if monthly else _("annuel"),
        "when": _("le 1er du mois prochain") if monthly else _("le 1er janvier"),
    }


def action_label(kind: str) -> str:
    """'Regarder', 'Lire' or 'Suivre': what a patron does with a title of this kind."""
    labels = {
        ResourceKind.VOD: _("Regarder"),
        ResourceKind.PRESS: _("Lire"),
        ResourceKind.EBOOKS: _("Lire"),
        ResourceKind.COURSES: _("Suivre"),
        ResourceKind.MUSIC: _("Écouter"),
    }
    return (
        labels.get(ResourceKind(kind), _("Accéder"))
        if kind in ResourceKind.values
        else _("Accéder")
    )


TABLE: dict[str, Wording] = {
    "access_refused": access_refused,
    "insufficient_tokens": _insufficient,
    "network_cap_reached": _cap_reached,
    "refund_reason_missing": lambda c: _("Indiquez le motif du remboursement."),
    "not_refundable": lambda c: _("Seul un débit peut être remboursé."),
    "already_refunded": lambda c: _("Ce débit a déjà été remboursé."),
}
