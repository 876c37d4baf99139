"""Worker side of the outbox: when a run of a task the outbox dispatched ends (succeeded,
or failed for good; a run that only schedules a retry has not ended), its row is marked
done, so that the sweep does not dispatch it again."""

from __future__ import annotations

import logging

from celery import states
from celery.signals import task_postrun

from . import services

logger = logging.getLogger(__name__)


@task_postrun.connect(dispatch_uid="outbox-task-done")
def outbox_run_ended(sender=None, task_id=None, state=None, **_kwargs) -> None:
    pk = services.outbox_task_pk(task_id)
    if pk is None or state == states.RETRY:
        return
    try:
        services.outbox_task_done(task_id=pk)
    except Exception:  # the database is away: the sweep dispatches it again (a no-op run)
        logger.exception("outbox task %s ran but was not marked done", pk)
