# The outbox table now belongs to core (core.RecordChange, renamed by core's migration).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('search', '0002_outbox_record_unindexed'),
        ('core', '0003_record_change_outbox'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='IndexOutbox')],
        ),
    ]
