"""The search outbox: records whose index entry must be refreshed.

Writers append a row in their own transaction (``outbox.enqueue_record``);
the indexer consumes rows after commit. The index is derived data: it can
always be rebuilt from the database.
"""

from __future__ import annotations

from django.db import models


class IndexOutbox(models.Model):
    # rows are read by id (the position of each node's index) and pruned by age, never
    # looked up by record: no index to maintain at every loan and return
    record_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "file d'indexation"
