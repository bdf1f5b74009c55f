# The search outbox becomes core's record-changed outbox: the same table, renamed, so its
# rows and ids (each index's position) are kept.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0002_fewer_indexes'),
        ('search', '0002_outbox_record_unindexed'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='RecordChange',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('record_id', models.BigIntegerField()),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        'verbose_name': "file d'indexation",
                        'db_table': 'search_indexoutbox',
                    },
                ),
            ],
        ),
        migrations.AlterModelTable(name='recordchange', table=None),
    ]
