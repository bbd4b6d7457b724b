"""Weekly review reminders: who is due when, exactly one e-mail per member and week, errors."""

import datetime
import smtplib
import threading
import zoneinfo

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.utils import timezone

from implementation.models import ReminderAddressFailure, ReminderStatus, ReviewReminder
from implementation.services import reminders
from implementation.tasks import review_reminder_send_task
from projects.choices import ProjectStatus, Role
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

UTC = datetime.UTC
HANOI = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def due_project(*, hours: float = 2, time_zone: str = "Asia/Ho_Chi_Minh", **fields):
    """A project whose next review begins `hours` from the real clock (sending checks it)."""
    zone = zoneinfo.ZoneInfo(time_zone)
    slot = (timezone.now() + datetime.timedelta(hours=hours)).astimezone(zone)
    slot = slot.replace(second=0, microsecond=0)
    return ProjectFactory(
        review_weekday=slot.weekday(), review_time=slot.time(), time_zone=time_zone, **fields
    )


def team(project, count: int = 3, **fields) -> list:
    return [
        MembershipFactory(project=project, role=Role.PILOT_USER, **fields).user
        for _ in range(count)
    ]


def dispatch(callbacks, now=None) -> int:
    """Dispatch and run what it registers for after the commit (the queueing)."""
    with callbacks(execute=True):
        return reminders.reminders_dispatch(now)


class WorkerCrash(BaseException):
    """The worker process dies: nothing in the service may catch it."""


# --- Who is due, in the project's time zone ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("now", "is_due"),
    [
        (datetime.datetime(2026, 11, 28, 17, 0, tzinfo=UTC), False),  # 24 h 30 min before
        (datetime.datetime(2026, 11, 28, 17, 30, tzinfo=UTC), True),  # exactly 24 h before
        (datetime.datetime(2026, 11, 29, 17, 29, tzinfo=UTC), True),  # one minute before
    ],
)
def test_slot_near_midnight_at_utc_plus_7_is_due_24_hours_ahead_on_a_utc_server(
    settings, now, is_due
):
    # Monday 00:30 in Hanoi is Sunday 17:30 UTC; the server runs on UTC.
    settings.TIME_ZONE = "UTC"
    project = ProjectFactory(
        review_weekday=0, review_time=datetime.time(0, 30), time_zone="Asia/Ho_Chi_Minh"
    )

    due = reminders.reminders_due(now)

    assert [d.project for d in due] == ([project] if is_due else [])
    if is_due:
        assert due[0].meeting_at == datetime.datetime(2026, 11, 30, 0, 30, tzinfo=HANOI)
        # The meeting's week in Hanoi (Monday 30 November), not the UTC date (a Sunday).
        assert due[0].week == "2026-W49"


@pytest.mark.django_db
def test_a_slot_that_has_begun_is_not_due_and_the_next_is_a_week_away(settings):
    settings.TIME_ZONE = "UTC"
    ProjectFactory(review_weekday=0, review_time=datetime.time(0, 30), time_zone="Asia/Bangkok")

    assert reminders.reminders_due(datetime.datetime(2026, 11, 29, 17, 31, tzinfo=UTC)) == []


@pytest.mark.django_db
def test_lead_time_is_a_setting_and_only_active_projects_are_due(settings):
    settings.REVIEW_REMINDER_LEAD_HOURS = 2
    soon = due_project(hours=1.5)
    due_project(hours=3)
    due_project(hours=1, status=ProjectStatus.ON_HOLD)

    assert [d.project for d in reminders.reminders_due(timezone.now())] == [soon]


# --- Exactly once -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_dispatch_sends_each_member_one_email_with_a_stable_message_id(
    django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://rollout.example.com"
    project = due_project()
    users = team(project, 3)
    opted_out = MembershipFactory(project=project, digest_opt_out=True).user
    MembershipFactory(project=project, user=UserFactory(email=""))

    assert dispatch(django_capture_on_commit_callbacks) == 3

    rows = ReviewReminder.objects.order_by("user_id")
    assert [r.user for r in rows] == users
    assert {r.status for r in rows} == {ReminderStatus.SENT}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    assert opted_out.email not in {m.to[0] for m in mail.outbox}
    week = rows[0].week
    expected = f"<review-reminder.{project.pk}.{users[0].pk}.{week}@rollout.example.com>"
    assert rows[0].message_id == expected
    first = next(m for m in mail.outbox if m.to == [users[0].email])
    assert first.message()["Message-ID"] == expected
    assert first.alternatives[0][1] == "text/html"
    assert first.body


@pytest.mark.django_db
def test_dispatching_twice_sends_nothing_the_second_time(django_capture_on_commit_callbacks):
    project = due_project()
    team(project, 2)
    dispatch(django_capture_on_commit_callbacks)

    assert dispatch(django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 2
    assert ReviewReminder.objects.count() == 2


@pytest.mark.django_db
def test_a_member_who_opts_out_after_dispatch_is_skipped(django_capture_on_commit_callbacks):
    project = due_project()
    [user] = team(project, 1)
    [pk] = reminders.reminders_create(queue=False)
    reminders.membership_digest_opt_out_set(actor=user, project=project, opt_out=True)

    reminder = reminders.reminder_send(reminder_pk=pk)

    assert reminder.status == ReminderStatus.SKIPPED
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_dispatchers_create_and_send_each_reminder_once():
    """Each thread has its own connection. PostgreSQL: the unique key makes all but one
    insert fail; SQLite: writers serialise. Either way one row and one e-mail per member."""
    project = due_project()
    users = team(project, 4)
    now = timezone.now()
    barrier = threading.Barrier(8)
    created: list[list[int]] = []
    errors: list[BaseException] = []

    def dispatcher():
        try:
            barrier.wait(timeout=10)
            created.append(reminders.reminders_create(now, queue=False))
        except BaseException as error:  # reported below, with the thread's own traceback
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    all_pks = [pk for pks in created for pk in pks]
    assert len(all_pks) == len(set(all_pks)) == 4
    assert ReviewReminder.objects.count() == 4

    # Then eight deliveries of the same task race for each row: one e-mail each.
    def sender(pk):
        try:
            barrier.wait(timeout=10)
            reminders.reminder_send(reminder_pk=pk)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    for pk in all_pks:
        threads = [threading.Thread(target=sender, args=(pk,)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    assert set(ReviewReminder.objects.values_list("status", flat=True)) == {ReminderStatus.SENT}


@pytest.mark.django_db
def test_a_crash_after_the_smtp_send_never_leads_to_a_second_email(monkeypatch):
    project = due_project()
    team(project, 1)
    [pk] = reminders.reminders_create(queue=False)
    original = EmailBackend.send_messages

    def send_then_die(self, messages):
        original(self, messages)
        raise WorkerCrash

    monkeypatch.setattr(EmailBackend, "send_messages", send_then_die)
    with pytest.raises(WorkerCrash):
        review_reminder_send_task.apply(args=[pk])
    monkeypatch.setattr(EmailBackend, "send_messages", original)

    # acks_late: the broker delivers the task again; then the sweeper looks at the row.
    assert review_reminder_send_task.apply(args=[pk]).get() == ReminderStatus.SENDING
    later = timezone.now() + reminders.STALE_SENDING + datetime.timedelta(minutes=1)
    assert reminders.reminders_sweep(later) == 0

    reminder = ReviewReminder.objects.get(pk=pk)
    assert reminder.status == ReminderStatus.FAILED
    assert reminder.last_error == reminders.UNKNOWN_OUTCOME
    assert len(mail.outbox) == 1
    assert reminder.attempts == 1


@pytest.mark.django_db
def test_a_crash_before_the_smtp_send_is_sent_once_by_the_sweeper(monkeypatch):
    project = due_project()
    team(project, 1)
    [pk] = reminders.reminders_create(queue=False)

    def die(**kwargs):
        raise WorkerCrash

    monkeypatch.setattr(reminders, "build_reminder_email", die)
    with pytest.raises(WorkerCrash):
        reminders.reminder_send(reminder_pk=pk)
    monkeypatch.undo()
    assert ReviewReminder.objects.get(pk=pk).status == ReminderStatus.SENDING

    later = timezone.now() + reminders.STALE_SENDING + datetime.timedelta(minutes=1)
    assert reminders.reminders_sweep(later) == 1
    assert reminders.reminders_sweep(later) == 0

    reminder = ReviewReminder.objects.get(pk=pk)
    assert (reminder.status, reminder.attempts, len(mail.outbox)) == (ReminderStatus.SENT, 2, 1)


# --- SMTP errors ------------------------------------------------------------------------------


def failing_backend(monkeypatch, *errors):
    """The next sends raise `errors` in turn, then deliver."""
    pending = list(errors)
    original = EmailBackend.send_messages

    def send(self, messages):
        if pending:
            raise pending.pop(0)
        return original(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPServerDisconnected("gone"),
        smtplib.SMTPConnectError(421, "busy"),
        smtplib.SMTPDataError(451, "try later"),
        smtplib.SMTPRecipientsRefused({"x@example.com": (450, b"mailbox busy")}),
        ConnectionRefusedError(111, "refused"),
    ],
)
def test_a_temporary_error_puts_the_reminder_back_to_wait_with_backoff(monkeypatch, error):
    project = due_project()
    team(project, 1)
    [pk] = reminders.reminders_create(queue=False)
    failing_backend(monkeypatch, error)

    with pytest.raises(reminders.TemporaryMailError) as raised:
        reminders.reminder_send(reminder_pk=pk)

    reminder = ReviewReminder.objects.get(pk=pk)
    assert (reminder.status, reminder.attempts) == (ReminderStatus.PENDING, 1)
    assert raised.value.retry_in == 60
    assert reminder.queued_at > timezone.now() + datetime.timedelta(seconds=50)
    assert ReminderAddressFailure.objects.count() == 0
    assert reminders.retry_delay(3) == 240


@pytest.mark.django_db
def test_the_task_retries_a_temporary_error_and_sends_once(monkeypatch):
    project = due_project()
    team(project, 1)
    [pk] = reminders.reminders_create(queue=False)
    failing_backend(monkeypatch, smtplib.SMTPServerDisconnected("gone"))

    with pytest.raises(Retry) as retry:
        review_reminder_send_task.apply(args=[pk])
    assert retry.value.when == 60
    # The broker delivers the retry after its countdown.
    assert review_reminder_send_task.apply(args=[pk], retries=1).get() == ReminderStatus.SENT

    reminder = ReviewReminder.objects.get(pk=pk)
    assert (reminder.status, reminder.attempts, len(mail.outbox)) == (ReminderStatus.SENT, 2, 1)


@pytest.mark.django_db
def test_every_retry_used_up_marks_the_address_as_failing(monkeypatch):
    project = due_project()
    [user] = team(project, 1)
    [pk] = reminders.reminders_create(queue=False)
    failing_backend(monkeypatch, *[OSError("down")] * (reminders.MAX_RETRIES + 1))

    for retries in range(reminders.MAX_RETRIES):
        with pytest.raises(Retry):
            review_reminder_send_task.apply(args=[pk], retries=retries)
    result = review_reminder_send_task.apply(args=[pk], retries=reminders.MAX_RETRIES)
    assert result.get() == ReminderStatus.FAILED

    reminder = ReviewReminder.objects.get(pk=pk)
    assert reminder.status == ReminderStatus.FAILED
    assert reminder.attempts == reminders.MAX_RETRIES + 1
    assert mail.outbox == []
    failure = ReminderAddressFailure.objects.get(user=user)
    assert failure.is_failing is True


@pytest.mark.django_db
def test_three_permanent_failures_in_a_row_mark_the_address_and_a_success_clears_it(
    monkeypatch,
):
    project = due_project()
    [user] = team(project, 1)
    refused = smtplib.SMTPRecipientsRefused({user.email: (550, b"no such user")})
    for week in range(3):
        reminder = ReviewReminder.objects.create(
            project=project,
            user=user,
            week=f"2026-W{40 + week}",
            meeting_at=timezone.now() + datetime.timedelta(hours=2),
            message_id=f"<{week}@x>",
        )
        failing_backend(monkeypatch, refused)
        reminder = reminders.reminder_send(reminder_pk=reminder.pk)
        assert reminder.status == ReminderStatus.FAILED
        failure = ReminderAddressFailure.objects.get(user=user, email=user.email)
        assert (failure.consecutive_failures, failure.is_failing) == (week + 1, week == 2)

    reminders.reminders_create(queue=False)
    [pk] = ReviewReminder.objects.filter(status=ReminderStatus.PENDING).values_list("pk", flat=True)
    assert reminders.reminder_send(reminder_pk=pk).status == ReminderStatus.SENT
    failure.refresh_from_db()
    assert (failure.consecutive_failures, failure.is_failing) == (0, False)


@pytest.mark.django_db
def test_a_5xx_data_error_is_permanent(monkeypatch):
    project = due_project()
    team(project, 1)
    [pk] = reminders.reminders_create(queue=False)
    failing_backend(monkeypatch, smtplib.SMTPDataError(554, "rejected"))

    reminder = reminders.reminder_send(reminder_pk=pk)

    assert (reminder.status, reminder.attempts) == (ReminderStatus.FAILED, 1)
    assert "554" in reminder.last_error


# --- The broker is down -----------------------------------------------------------------------


@pytest.mark.django_db
def test_with_redis_down_the_row_waits_and_the_sweeper_sends_it_later(
    django_capture_on_commit_callbacks, broker_down
):
    project = due_project()
    [user] = team(project, 1)

    assert dispatch(django_capture_on_commit_callbacks) == 1  # nothing raised

    reminder = ReviewReminder.objects.get()
    assert reminder.status == ReminderStatus.PENDING
    assert mail.outbox == []
    assert reminders.reminders_sweep() == 0  # too early: it was queued a moment ago

    broker_down()  # the broker works again
    later = timezone.now() + reminders.SWEEP_AFTER + datetime.timedelta(seconds=1)
    assert reminders.reminders_sweep(later) == 1

    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SENT
    assert [m.to for m in mail.outbox] == [[user.email]]
