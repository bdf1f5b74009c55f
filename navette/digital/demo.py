"""Demo part of the online media library: a press kiosk, a VOD platform paid in tokens
(films of several release years, so every cost shows), a course platform, a CAS
service for the VOD vendor and an OpenID Connect client for the course vendor."""

from __future__ import annotations

from django.contrib.auth.hashers import check_password, make_password

from navette.core import clock
from navette.core.actors import Actor
from navette.digital.importers import ImportReport, TitleRow, titles_import
from navette.digital.models import (
    Resource,
    ResourceKind,
    ServiceProtocol,
    ServiceRegistration,
    Vendor,
)
from navette.digital.selectors import token_settings

VOD_SERVICE = "https://vod.example.org/sso/cas"
OIDC_REDIRECT = "https://cours.example.org/oidc/callback"

FILMS = [
    ("V001", "Le Chant des dunes", 2026, 104, ["Inès Marchal"]),
    ("V002", "Les Ponts de Roubaix", 2025, 92, ["Karim Belkacem"]),
    ("V003", "Sous les terrils", 2024, 88, ["Élodie Vasseur"]),
    ("V004", "La Dernière Ducasse", 2023, 97, ["Marc Dufour"]),
    ("V005", "Vent du Nord", 2019, 110, ["Sofia Almeida"]),
    ("V006", "Carnaval de Dunkerque", 2016, 75, ["Paul Lemaire"]),
    ("V007", "L'Estaminet", 2008, 101, ["Jeanne Roussel"]),
    ("V008", "Le Beffroi", 1998, 115, ["Henri Caron"]),
    ("V009", "Les Gens du Nord", 1972, 95, ["Lucienne Fabre"]),
]
PRESS = [
    ("P001", "La Voix du Nord"), ("P002", "Le Monde"), ("P003", "Courrier international"),
    ("P004", "Géo"), ("P005", "Okapi"),
]  # fmt: skip
COURSES = [
    ("C001", "Anglais débutant", 600), ("C002", "Bureautique : le tableur", 240),
    ("C003", "Code de la route", 900), ("C004", "Photographie numérique", 180),
]  # fmt: skip


def _resource(code: str, **values) -> Resource:
    resource, _created = Resource.objects.update_or_create(code=code, defaults=values)
    return resource


def load(ctx) -> None:
    now = clock.now()
    actor = Actor.system("demo")
    token_settings()  # the network's token rules, with the defaults
    cinema, _c = Vendor.objects.get_or_create(
        code="cinema-demo", defaults={"name": "Cinéma du Nord (démonstration)"}
    )
    kiosque, _c = Vendor.objects.get_or_create(
        code="kiosque-demo", defaults={"name": "Kiosque de presse (démonstration)"}
    )
    cours, _c = Vendor.objects.get_or_create(
        code="cours-demo", defaults={"name": "Cours en ligne (démonstration)"}
    )
    cas_service, _c = ServiceRegistration.objects.get_or_create(
        protocol=ServiceProtocol.CAS, service_url=VOD_SERVICE,
        defaults={"vendor": cinema, "name": "Cinéma du Nord — CAS"},
    )  # fmt: skip
    secret = ctx.secret("oidc_clients", "client_id", "cours-demo", "client_secret", 24)
    client, _c = ServiceRegistration.objects.get_or_create(
        protocol=ServiceProtocol.OIDC, client_id="cours-demo",
        defaults={"vendor": cours, "name": "Cours en ligne — OpenID Connect",
                  "redirect_uris": [OIDC_REDIRECT], "client_secret_hash": make_password(secret)},
    )  # fmt: skip
    if not check_password(secret, client.client_secret_hash):
        client.client_secret_hash = make_password(secret)
        client.save(update_fields=["client_secret_hash"])

    vod = _resource(
        "cinema-du-nord", vendor=cinema, name="Cinéma du Nord", kind=ResourceKind.VOD,
        description="Films en streaming : 4 jetons par mois, un film coûte de 0,5 à 2 jetons "
        "selon son année de sortie.",
        how_to_connect="Choisissez un film puis « Regarder » : vous arrivez sur la plateforme "
        "déjà connecté, sans autre mot de passe.",
        access_url=VOD_SERVICE + "?film={ref}", sso_service=cas_service, uses_tokens=True,
    )  # fmt: skip
    press = _resource(
        "kiosque", vendor=kiosque, name="Kiosque de presse", kind=ResourceKind.PRESS,
        description="Quotidiens et magazines en lecture intégrale.",
        how_to_connect="Cliquez sur « Accéder au kiosque » depuis cette page.",
        access_url="https://kiosque.example.org/titre/{ref}",
    )  # fmt: skip
    courses = _resource(
        "cours-en-ligne", vendor=cours, name="Cours en ligne", kind=ResourceKind.COURSES,
        description="Langues, bureautique, code de la route : des cours vidéo à suivre à "
        "votre rythme.",
        how_to_connect="Sur le site des cours, choisissez « Se connecter avec ma médiathèque ».",
        access_url="https://cours.example.org/cours/{ref}", minimum_age=12, sso_service=client,
    )  # fmt: skip

    report = ImportReport()
    titles_import(
        resource=vod, report=report, actor=actor, now=now,
        rows=[TitleRow(line=i, ref=r, title=t, year=y, duration=d, people=p)
              for i, (r, t, y, d, p) in enumerate(FILMS, start=2)],
    )  # fmt: skip
    titles_import(
        resource=press, report=report, actor=actor, now=now,
        rows=[TitleRow(line=i, ref=r, title=t) for i, (r, t) in enumerate(PRESS, start=2)],
    )  # fmt: skip
    titles_import(
        resource=courses, report=report, actor=actor, now=now,
        rows=[TitleRow(line=i, ref=r, title=t, duration=d)
              for i, (r, t, d) in enumerate(COURSES, start=2)],
    )  # fmt: skip
    ctx.add("cas_services", {"service": VOD_SERVICE, "resource": vod.code,
                             "try": f"/cas/login?service={VOD_SERVICE}"})  # fmt: skip
    ctx.add("oidc_clients", {"client_id": "cours-demo", "client_secret": secret,
                             "redirect_uri": OIDC_REDIRECT})  # fmt: skip
    ctx.log(
        f"digital: 3 ressources en ligne, {report.created} titres créés, "
        f"{report.updated} mis à jour"
    )
