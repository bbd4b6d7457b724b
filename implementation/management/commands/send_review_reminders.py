"""Run the review reminder dispatch by hand: what beat does every 15 minutes."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from implementation.services import reminders


def parse_now(value: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--now: {error}") from error
    if timezone.is_naive(moment):
        raise CommandError("--now needs a time zone, for example 2026-11-23T09:00+07:00.")
    return moment


class Command(BaseCommand):
    help = (
        "Create the weekly review reminders now due (once per member and week) and send them: "
        "through the workers, or here with --in-process."
    )

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Pretend it is this moment (ISO 8601 with offset).")
        parser.add_argument(
            "--in-process",
            action="store_true",
            help="Send here instead of queueing for a worker (when no worker runs).",
        )

    def handle(self, *args, now=None, in_process=False, **options):
        moment = parse_now(now) if now else timezone.now()
        created = reminders.reminders_create(moment, queue=not in_process)
        sent = 0
        if in_process:
            for pk in created:
                try:
                    reminder = reminders.reminder_send(reminder_pk=pk)
                except reminders.TemporaryMailError as error:
                    self.stderr.write(f"Reminder {pk}: {error} (left pending for the sweeper)")
                    continue
                sent += bool(reminder and reminder.status == "sent")
        self.stdout.write(
            f"{len(created)} reminder(s) created"
            + (f", {sent} sent." if in_process else ", queued.")
        )
