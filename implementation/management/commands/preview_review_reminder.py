"""Build one member's review reminder by hand; --dry-run prints it without sending."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from implementation.agenda import next_review_at
from implementation.models import ReviewReminder
from implementation.services import reminders
from projects.models import Membership, Project

from .send_review_reminders import parse_now


class Command(BaseCommand):
    help = (
        "Build the weekly review e-mail of one member of one project and print it; without "
        "--dry-run, also record and send it (once per member and week, like the dispatch)."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="Project code, for example HNR-ERP.")
        parser.add_argument("username")
        parser.add_argument("--now", help="Pretend it is this moment (ISO 8601 with offset).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Print only: send nothing, record nothing."
        )

    def handle(self, *args, code, username, now=None, dry_run=False, **options):
        moment = parse_now(now) if now else timezone.now()
        project = Project.objects.filter(code=code).first()
        if project is None:
            raise CommandError(f"No project with code {code}.")
        membership = (
            Membership.objects.filter(project=project, user__username=username)
            .select_related("user")
            .first()
        )
        if membership is None:
            raise CommandError(f"{username} is not on the team of {code}.")
        if not membership.user.email:
            raise CommandError(f"{username} has no e-mail address.")
        meeting_at = next_review_at(project, moment)
        message = reminders.build_reminder_email(
            project=project, user=membership.user, meeting_at=meeting_at, now=moment
        )
        self.stdout.write(message.message().as_string())
        if dry_run:
            return
        due = reminders.DueProject(project=project, meeting_at=meeting_at)
        with transaction.atomic():
            reminder = reminders.reminder_row_create(due, membership.user, moment)
        if reminder is None:
            existing = ReviewReminder.objects.get(
                project=project, user=membership.user, week=due.week
            )
            raise CommandError(
                f"The reminder of week {due.week} exists already ({existing.status}): "
                "it is sent only once."
            )
        try:
            reminder = reminders.reminder_send(reminder_pk=reminder.pk)
        except reminders.TemporaryMailError as error:
            raise CommandError(f"{error} (left pending for the sweeper)") from error
        self.stdout.write(f"Reminder {reminder.week}: {reminder.status}.")
