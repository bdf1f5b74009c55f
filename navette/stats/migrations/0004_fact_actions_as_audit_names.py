"""Statistics facts take the names the audit journal gives the same events
(``checkout`` becomes ``loan.checkout``; navette.core.actions)."""

from django.db import migrations, models

# frozen here, whatever navette.core.actions becomes
RENAMED = {
    "checkout": "loan.checkout",
    "checkin": "loan.checkin",
    "renew": "loan.renew",
    "hold_place": "hold.place",
    "hold_fulfil": "hold.fulfil",
    "hold_cancel": "hold.cancel",
    "hold_expire": "hold.expire",
    "transit_send": "transit.send",
    "transit_receive": "transit.receive",
    "transit_lost": "transit.lost",
}


def rename(apps, schema_editor, mapping=RENAMED):  # type: ignore[no-untyped-def]
    CirculationFact = apps.get_model("stats", "CirculationFact")
    db = schema_editor.connection.alias
    for old, new in mapping.items():
        CirculationFact.objects.using(db).filter(action=old).update(action=new)


def rename_back(apps, schema_editor):  # type: ignore[no-untyped-def]
    rename(apps, schema_editor, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0003_fact_library_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="circulationfact",
            name="action",
            field=models.CharField(
                choices=[
                    ("loan.checkout", "Prêt"),
                    ("loan.checkin", "Retour"),
                    ("loan.renew", "Prolongation"),
                    ("hold.place", "Réservation"),
                    ("hold.fulfil", "Réservation satisfaite"),
                    ("hold.cancel", "Réservation annulée"),
                    ("hold.expire", "Réservation expirée"),
                    ("transit.send", "Envoi en navette"),
                    ("transit.receive", "Réception de navette"),
                    ("transit.lost", "Perte en transit"),
                ],
                max_length=20,
                verbose_name="action",
            ),
        ),
        migrations.RunPython(rename, rename_back),
    ]
