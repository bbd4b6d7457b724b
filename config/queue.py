"""Handing work to Celery without letting a broker outage reach the user.

Work that needs a worker is recorded in the database first (a row with status pending);
`enqueue` only tells a worker about it. If Redis is down the row stays pending, the page
says it will run shortly, and it can be queued again. Enqueueing gives up after about a
second (CELERY_BROKER_CONNECTION_TIMEOUT and the transport options in settings).
"""

import logging

logger = logging.getLogger(__name__)


def enqueue(task, *args, countdown: int | None = None) -> bool:
    """Send `task` with `args`, to run `countdown` seconds from now or at once; False (logged,
    never raised) when it could not be sent."""
    try:
        task.apply_async(args=args, retry=False, countdown=countdown)
    except Exception:
        # In-process (eager) runs raise the task's own errors here as well: the task has
        # recorded its failure on its row, so the request that queued it carries on.
        logger.exception("Could not run or queue %s%r", task.name, args)
        return False
    return True
