"""The names stored in the audit journal and the statistics facts: one scheme,
``<entity>.<verb>`` (``loan.checkout``, ``hold.place``, ``item.withdraw``).

The entity is the model the event is about (as ``AuditEvent.object_type`` names it),
the verb the service's action. A statistics fact counting the same event carries the same
name (``navette.stats.models.CirculationAction`` takes its values from here), so a loan is
``loan.checkout`` in the journal, in the statistics and in their CSV export.
Stored values: renaming one needs a data migration of the rows that hold it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    # circulation
    LOAN_CHECKOUT = "loan.checkout", _("Prêt")
    LOAN_CHECKIN = "loan.checkin", _("Retour")
    LOAN_RENEW = "loan.renew", _("Prolongation")
    LOAN_ANONYMISE = "loan.anonymise", _("Anonymisation des prêts")
    ITEM_CHECKIN_FREE = "item.checkin_free", _("Retour d'un exemplaire non prêté")
    HOLD_PLACE = "hold.place", _("Réservation")
    HOLD_FULFIL = "hold.fulfil", _("Réservation satisfaite")
    HOLD_CANCEL = "hold.cancel", _("Réservation annulée")
    HOLD_SUSPEND = "hold.suspend", _("Réservation suspendue")
    HOLD_CHANGE_PICKUP = "hold.change_pickup", _("Changement de lieu de retrait")
    HOLD_EXPIRE = "hold.expire", _("Réservation expirée")
    HOLD_TRAP = "hold.trap", _("Réservation mise de côté")
    TRANSIT_SEND = "transit.send", _("Envoi en navette")
    TRANSIT_RECEIVE = "transit.receive", _("Réception de navette")
    TRANSIT_LOST = "transit.lost", _("Perte en transit")
    CRATE_SEND = "crate.send", _("Départ d'une caisse de navette")
    FINE_PAY = "fine.pay", _("Paiement d'amende")
    FINE_WAIVE = "fine.waive", _("Remise d'amende")
    # circulation rules and settings, changed in the administration
    LOAN_RULE_ADD = "loan_rule.add", _("Règle de prêt ajoutée")
    LOAN_RULE_CHANGE = "loan_rule.change", _("Règle de prêt modifiée")
    CIRCULATION_SETTINGS_ADD = "circulation_settings.add", _("Réglages de circulation ajoutés")
    CIRCULATION_SETTINGS_CHANGE = (
        "circulation_settings.change",
        _("Réglages de circulation modifiés"),
    )
    LIBRARY_CIRCULATION_SETTINGS_ADD = (
        "library_circulation_settings.add",
        _("Réglages de circulation d'une bibliothèque ajoutés"),
    )
    LIBRARY_CIRCULATION_SETTINGS_CHANGE = (
        "library_circulation_settings.change",
        _("Réglages de circulation d'une bibliothèque modifiés"),
    )
    # catalogue
    ITEM_ADD = "item.add", _("Exemplaire ajouté")
    ITEM_UPDATE = "item.update", _("Exemplaire modifié")
    ITEM_WITHDRAW = "item.withdraw", _("Exemplaire retiré")
    RECORD_DELETE = "record.delete", _("Notice supprimée")
    RECORD_MERGE = "record.merge", _("Notices fusionnées")
    RECORD_UNMERGE = "record.unmerge", _("Fusion de notices annulée")
    RECORD_NOT_DUPLICATE = "record.not_duplicate", _("Notices déclarées distinctes")
    RECORD_DUPLICATES_SCAN = "record.duplicates_scan", _("Liste des doublons recalculée")
    RECORD_CREATE = "record.create", _("Notice créée")
    RECORD_UPDATE = "record.update", _("Notice modifiée")
    RECORD_RESTORE = "record.restore", _("Version de notice restaurée")
    RECORD_OVERLAY = "record.overlay", _("Notice remplacée par une notice distante")
    BATCH_APPLY = "batch.apply", _("Lot de modifications appliqué")
    BATCH_UNDO = "batch.undo", _("Lot de modifications annulé")
    LOCATION_ADD = "location.add", _("Emplacement ajouté")
    LOCATION_CHANGE = "location.change", _("Emplacement modifié")
    COPY_SEARCH_SAVE = "copy_search.save", _("Recherche d'exemplaires enregistrée")
    HEADING_CHANGE = "heading.change", _("Vedette changée dans toutes ses notices")
    HEADING_CHANGE_UNDO = "heading.change_undo", _("Changement de vedette annulé")
    AUTHORITY_IMPORT = "authority.import", _("Import de notices d'autorité")
    COVER_SET = "cover.set", _("Couverture ajoutée")
    COVER_REMOVE = "cover.remove", _("Couverture retirée")
    COVER_SERVICE_ADD = "cover_service.add", _("Service de couvertures ajouté")
    COVER_SERVICE_CHANGE = "cover_service.change", _("Service de couvertures modifié")
    REMOTE_TARGET_ADD = "remote_target.add", _("Catalogue distant ajouté")
    REMOTE_TARGET_CHANGE = "remote_target.change", _("Catalogue distant modifié")
    HARVEST_SOURCE_ADD = "harvest_source.add", _("Catalogue de bibliothèque membre ajouté")
    HARVEST_SOURCE_CHANGE = "harvest_source.change", _("Catalogue de bibliothèque membre modifié")
    # patrons
    PATRON_REGISTER = "patron.register", _("Inscription d'un lecteur")
    PATRON_RENEW_MEMBERSHIP = "patron.renew_membership", _("Réinscription d'un lecteur")
    PATRON_REPLACE_CARD = "patron.replace_card", _("Remplacement de carte")
    PATRON_SET_PIN = "patron.set_pin", _("Code personnel fixé")
    PATRON_UPDATE_CONTACT = "patron.update_contact", _("Coordonnées modifiées")
    PATRON_EMAIL_CHANGE_REPORTED = (
        "patron.email_change_reported",
        _("Changement d'adresse signalé par l'ancienne adresse"),
    )
    PATRON_BLOCK = "patron.block", _("Carte bloquée")
    PATRON_UNBLOCK = "patron.unblock", _("Carte débloquée")
    PATRON_PURGE = "patron.purge", _("Suppression des lecteurs inactifs")
    PATRON_MERGE = "patron.merge", _("Fusion de deux lecteurs")
    # kiosks
    KIOSK_LOGIN_LOCKED = "kiosk.login_locked", _("Connexion d'automate bloquée")
    # events
    EVENT_CREATE = "event.create", _("Événement créé")
    EVENT_UPDATE = "event.update", _("Événement modifié")
    EVENT_CANCEL = "event.cancel", _("Événement annulé")
    EVENT_SERIES_CREATE = "event.series_create", _("Série d'événements créée")
    PROGRAMME_SAVE = "programme.save", _("Programme enregistré")
    REGISTRATION_CREATE = "registration.create", _("Inscription à un événement")
    REGISTRATION_CANCEL = "registration.cancel", _("Inscription annulée")
    REGISTRATION_ATTENDANCE = "registration.attendance", _("Présence relevée")
    REGISTRATION_ANONYMISE = "registration.anonymise", _("Anonymisation des inscriptions")
    # the portal's contents
    ARTICLE_CREATE = "article.create", _("Actualité ou page créée")
    ARTICLE_UPDATE = "article.update", _("Actualité ou page modifiée")
    ARTICLE_DELETE = "article.delete", _("Actualité ou page supprimée")
    SELECTION_CREATE = "selection.create", _("Sélection créée")
    SELECTION_UPDATE = "selection.update", _("Sélection modifiée")
    SELECTION_DELETE = "selection.delete", _("Sélection supprimée")
    LEGAL_PAGE_UPDATE = "legal_page.update", _("Page légale modifiée")
    # digital
    TOKEN_SPEND = "token.spend", _("Jetons dépensés")
    TOKEN_REFUND = "token.refund", _("Jetons rendus")
    TOKEN_ENTRY_ANONYMISE = "token_entry.anonymise", _("Anonymisation du registre des jetons")
    RESOURCE_IMPORT_TITLES = "resource.import_titles", _("Import de titres numériques")
    # access
    SCOPE_REFUSED = "scope.refused", _("Action refusée hors des bibliothèques du compte")
    STAFF_PREFERENCES_CHANGE = "staff.preferences_change", _("Préférences du poste modifiées")
    AUTH_STAFF_LOGIN_LOCKED_OUT = "auth.staff_login_locked_out", _("Connexion du personnel bloquée")
    # partners (API keys)
    API_KEY_CREATE = "api_key.create", _("Clé d'API créée")
    API_KEY_CALL = "api_key.call", _("Appel de l'API partenaires")
    # statistics
    STATS_YEAR_CLOSE = "stats.year_close", _("Clôture de l'année statistique")
