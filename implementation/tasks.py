"""Celery doors onto the review reminder services: ids in, one service call, nothing else."""

from collections import Counter

from celery import shared_task

from implementation.services import reminders


@shared_task(
    name="implementation.review_reminder_send_task",
    bind=True,
    acks_late=True,
    max_retries=reminders.MAX_RETRIES,
)
def review_reminder_send_task(self, reminder_pk: int) -> str:
    """Send one reminder; a second delivery finds it taken. Temporary errors retry, backing off."""
    try:
        reminder = reminders.reminder_send(reminder_pk=reminder_pk)
    except reminders.TemporaryMailError as error:
        # Counted on the row: a reminder may have had its first try in a project's batch.
        if error.attempts > self.max_retries:
            reminder = reminders.reminder_give_up(reminder_pk=reminder_pk, error=str(error))
        else:
            raise self.retry(exc=error, countdown=error.retry_in) from error
    return reminder.status if reminder else "missing"


@shared_task(name="implementation.review_reminders_send_task", acks_late=True)
def review_reminders_send_task(reminder_pks: list[int]) -> dict[str, int]:
    """Send a project's new reminders together; one refused for now continues alone."""
    sent = reminders.reminders_send(reminder_pks=reminder_pks)
    return dict(Counter(reminder.status for reminder in sent))


@shared_task(name="implementation.review_reminders_dispatch_task")
def review_reminders_dispatch_task() -> int:
    """Create and queue the reminders of every review slot now within the lead time."""
    return reminders.reminders_dispatch()


@shared_task(name="implementation.review_reminders_sweep_task")
def review_reminders_sweep_task() -> int:
    """Queue again reminders the broker never got, or whose worker died before sending."""
    return reminders.reminders_sweep()


@shared_task(name="implementation.status_report_build_task", acks_late=True)
def status_report_build_task(report_pk: int) -> str:
    """Build a weekly status report (a no-op when it is already built or building)."""
    from implementation import status_reports

    report = status_reports.status_report_build(report_pk=report_pk)
    return report.status if report else "missing"


@shared_task(name="implementation.status_report_sweep_task")
def status_report_sweep_task() -> int:
    """Queue again the status reports left waiting while the broker was down or a worker died."""
    from implementation import status_reports

    return status_reports.status_report_sweep()


@shared_task(name="implementation.status_reports_weekly_task")
def status_reports_weekly_task() -> int:
    """Create and queue this week's automatic status report of every active project, once."""
    from implementation import status_reports

    return status_reports.status_reports_weekly()
