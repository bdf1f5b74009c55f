"""Audit actions take one naming scheme, ``<entity>.<verb>`` (navette.core.actions)."""

from django.db import migrations, models

# the names given before (left) and their name in the one scheme (right); frozen here,
# whatever navette.core.actions becomes
RENAMED = {
    "fines.pay": "fine.pay",
    "fines.waive": "fine.waive",
    "item_add": "item.add",
    "item_update": "item.update",
    "item_withdraw": "item.withdraw",
    "loans_anonymise": "loan.anonymise",
    "patrons_purge": "patron.purge",
    "patron_register": "patron.register",
    "patron_renew_membership": "patron.renew_membership",
    "patron_replace_card": "patron.replace_card",
    "patron_set_pin": "patron.set_pin",
    "patron_update_contact": "patron.update_contact",
    "event_create": "event.create",
    "event_update": "event.update",
    "event_cancel": "event.cancel",
    "programme_save": "programme.save",
    "registration_create": "registration.create",
    "registration_cancel": "registration.cancel",
    "registration_attendance": "registration.attendance",
    "registrations_anonymise": "registration.anonymise",
    "tokens_spend": "token.spend",
    "tokens_refund": "token.refund",
    "titles_import": "resource.import_titles",
    "token_entries_anonymise": "token_entry.anonymise",
    "record_delete": "record.delete",
    "api_key_create": "api_key.create",
    "api_call": "api_key.call",
}


def rename(apps, schema_editor, mapping=RENAMED):  # type: ignore[no-untyped-def]
    AuditEvent = apps.get_model("core", "AuditEvent")
    db = schema_editor.connection.alias
    for old, new in mapping.items():
        AuditEvent.objects.using(db).filter(action=old).update(action=new)


def rename_back(apps, schema_editor):  # type: ignore[no-untyped-def]
    rename(apps, schema_editor, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_record_change_outbox"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("loan.checkout", "Prêt"),
                    ("loan.checkin", "Retour"),
                    ("loan.renew", "Prolongation"),
                    ("loan.anonymise", "Anonymisation des prêts"),
                    ("item.checkin_free", "Retour d'un exemplaire non prêté"),
                    ("hold.place", "Réservation"),
                    ("hold.fulfil", "Réservation satisfaite"),
                    ("hold.cancel", "Réservation annulée"),
                    ("hold.suspend", "Réservation suspendue"),
                    ("hold.change_pickup", "Changement de lieu de retrait"),
                    ("hold.expire", "Réservation expirée"),
                    ("hold.trap", "Réservation mise de côté"),
                    ("transit.send", "Envoi en navette"),
                    ("transit.receive", "Réception de navette"),
                    ("transit.lost", "Perte en transit"),
                    ("fine.pay", "Paiement d'amende"),
                    ("fine.waive", "Remise d'amende"),
                    ("loan_rule.add", "Règle de prêt ajoutée"),
                    ("loan_rule.change", "Règle de prêt modifiée"),
                    ("circulation_settings.add", "Réglages de circulation ajoutés"),
                    ("circulation_settings.change", "Réglages de circulation modifiés"),
                    (
                        "library_circulation_settings.add",
                        "Réglages de circulation d'une bibliothèque ajoutés",
                    ),
                    (
                        "library_circulation_settings.change",
                        "Réglages de circulation d'une bibliothèque modifiés",
                    ),
                    ("item.add", "Exemplaire ajouté"),
                    ("item.update", "Exemplaire modifié"),
                    ("item.withdraw", "Exemplaire retiré"),
                    ("record.delete", "Notice supprimée"),
                    ("patron.register", "Inscription d'un lecteur"),
                    ("patron.renew_membership", "Réinscription d'un lecteur"),
                    ("patron.replace_card", "Remplacement de carte"),
                    ("patron.set_pin", "Code personnel fixé"),
                    ("patron.update_contact", "Coordonnées modifiées"),
                    ("patron.block", "Carte bloquée"),
                    ("patron.purge", "Suppression des lecteurs inactifs"),
                    ("event.create", "Événement créé"),
                    ("event.update", "Événement modifié"),
                    ("event.cancel", "Événement annulé"),
                    ("programme.save", "Programme enregistré"),
                    ("registration.create", "Inscription à un événement"),
                    ("registration.cancel", "Inscription annulée"),
                    ("registration.attendance", "Présence relevée"),
                    ("registration.anonymise", "Anonymisation des inscriptions"),
                    ("token.spend", "Jetons dépensés"),
                    ("token.refund", "Jetons rendus"),
                    ("token_entry.anonymise", "Anonymisation du registre des jetons"),
                    ("resource.import_titles", "Import de titres numériques"),
                    ("scope.refused", "Action refusée hors des bibliothèques du compte"),
                    ("auth.staff_login_locked_out", "Connexion du personnel bloquée"),
                    ("api_key.create", "Clé d'API créée"),
                    ("api_key.call", "Appel de l'API partenaires"),
                ],
                max_length=60,
                verbose_name="action",
            ),
        ),
        migrations.RunPython(rename, rename_back),
    ]
