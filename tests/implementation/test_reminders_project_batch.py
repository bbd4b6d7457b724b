"""A dispatch sends each project's reminders as one batch: shared work, the same guarantees."""

import datetime
import smtplib
import threading

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from implementation.models import ReminderAddressFailure, ReminderStatus, ReviewReminder
from implementation.services import reminders
from implementation.tasks import review_reminders_send_task
from projects.models import Membership
from tests.implementation.test_reminders_services import (
    WorkerCrash,
    dispatch,
    due_project,
    failing_backend,
    team,
)


def rows_of(project) -> list[int]:
    return list(
        ReviewReminder.objects.filter(project=project)
        .order_by("user_id")
        .values_list("pk", flat=True)
    )


def statuses(pks) -> list[str]:
    return list(
        ReviewReminder.objects.filter(pk__in=pks)
        .order_by("user_id")
        .values_list("status", flat=True)
    )


@pytest.mark.django_db
def test_a_dispatch_queues_one_task_per_project_with_its_new_rows(
    monkeypatch, django_capture_on_commit_callbacks
):
    first, second = due_project(), due_project()
    team(first, 3)
    team(second, 2)
    queued = []
    monkeypatch.setattr(
        review_reminders_send_task,
        "apply_async",
        lambda args, **options: queued.append(sorted(args[0])),
    )

    assert dispatch(django_capture_on_commit_callbacks) == 5

    assert sorted(queued) == sorted([rows_of(first), rows_of(second)])


@pytest.mark.django_db
def test_a_batch_sends_every_member_the_e_mail_the_single_send_would(settings):
    settings.SITE_URL = "https://rollout.example.com"
    project = due_project()
    users = team(project, 3)
    pks = reminders.reminders_create(queue=False)

    sent = reminders.reminders_send(reminder_pks=pks)

    assert [r.status for r in sent] == [ReminderStatus.SENT] * 3
    assert statuses(pks) == [ReminderStatus.SENT] * 3
    stored = ReviewReminder.objects.get(user=users[0])
    assert (stored.attempts, stored.sending_started_at is not None) == (1, True)
    batch_mails = {m.to[0]: (m.subject, m.body, m.alternatives[0][0]) for m in mail.outbox}
    assert sorted(batch_mails) == sorted(u.email for u in users)

    # The same e-mail, byte for byte, as the one-by-one path builds.
    ReviewReminder.objects.all().delete()
    mail.outbox = []
    for pk in reminders.reminders_create(queue=False):
        reminders.reminder_send(reminder_pk=pk)
    alone = {m.to[0]: (m.subject, m.body, m.alternatives[0][0]) for m in mail.outbox}
    assert alone == batch_mails


@pytest.mark.django_db
def test_a_batch_costs_the_same_queries_for_three_members_as_for_nine():
    counts = []
    for size in (3, 9):
        project = due_project()
        team(project, size)
        pks = reminders.reminders_create(queue=False)
        with CaptureQueriesContext(connection) as queries:
            reminders.reminders_send(reminder_pks=pks)
        assert len(mail.outbox) == size
        mail.outbox = []
        counts.append(len(queries))

    assert counts[0] == counts[1], counts


@pytest.mark.django_db
def test_a_second_delivery_of_a_batch_sends_nothing():
    project = due_project()
    team(project, 2)
    pks = reminders.reminders_create(queue=False)

    assert review_reminders_send_task.apply(args=[pks]).get() == {ReminderStatus.SENT: 2}
    assert review_reminders_send_task.apply(args=[pks]).get() == {}
    assert len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)
def test_four_concurrent_deliveries_of_a_batch_send_each_e_mail_once():
    project = due_project()
    users = team(project, 3)
    pks = reminders.reminders_create(queue=False)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def deliver():
        try:
            barrier.wait(timeout=10)
            reminders.reminders_send(reminder_pks=pks)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    assert statuses(pks) == [ReminderStatus.SENT] * 3
    assert set(ReviewReminder.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db
def test_skips_and_sends_in_one_batch():
    project = due_project()
    stays, leaves, opts_out = team(project, 3)
    pks = reminders.reminders_create(queue=False)
    Membership.objects.filter(project=project, user=leaves).delete()
    Membership.objects.filter(project=project, user=opts_out).update(digest_opt_out=True)

    reminders.reminders_send(reminder_pks=pks)

    rows = {r.user_id: r for r in ReviewReminder.objects.all()}
    assert rows[stays.pk].status == ReminderStatus.SENT
    assert (rows[leaves.pk].status, rows[leaves.pk].last_error) == (
        ReminderStatus.SKIPPED,
        "No longer on the team.",
    )
    assert (rows[opts_out.pk].status, rows[opts_out.pk].last_error) == (
        ReminderStatus.SKIPPED,
        "Opted out.",
    )
    assert [m.to for m in mail.outbox] == [[stays.email]]


@pytest.mark.django_db
def test_one_refused_for_now_waits_and_is_sent_by_its_own_retry(monkeypatch):
    project = due_project()
    team(project, 3)
    pks = reminders.reminders_create(queue=False)
    failing_backend(monkeypatch, smtplib.SMTPRecipientsRefused({"x": (450, b"busy")}))
    retries = []
    monkeypatch.setattr(
        "config.queue.enqueue",
        lambda task, *args, countdown=None: retries.append((task.name, args, countdown)),
    )

    reminders.reminders_send(reminder_pks=pks)

    first = ReviewReminder.objects.get(pk=pks[0])
    assert (first.status, first.attempts) == (ReminderStatus.PENDING, 1)
    assert first.queued_at > timezone.now() + datetime.timedelta(seconds=50)
    assert retries == [("implementation.review_reminder_send_task", (first.pk,), 60)]
    assert statuses(pks[1:]) == [ReminderStatus.SENT] * 2
    assert len(mail.outbox) == 2

    # The retry, after its countdown: the row's own task sends it, its second attempt.
    assert reminders.reminder_send(reminder_pk=first.pk).status == ReminderStatus.SENT
    first.refresh_from_db()
    assert (first.attempts, len(mail.outbox)) == (2, 3)


@pytest.mark.django_db
def test_a_mail_server_that_cannot_be_reached_puts_the_whole_batch_back_to_wait(monkeypatch):
    project = due_project()
    team(project, 2)
    pks = reminders.reminders_create(queue=False)

    def refuse(self):
        raise ConnectionRefusedError(111, "refused")

    monkeypatch.setattr(EmailBackend, "open", refuse, raising=False)
    retries = []
    monkeypatch.setattr(
        "config.queue.enqueue", lambda task, *args, countdown=None: retries.append(args)
    )

    reminders.reminders_send(reminder_pks=pks)

    assert statuses(pks) == [ReminderStatus.PENDING] * 2
    assert sorted(retries) == [(pk,) for pk in sorted(pks)]
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_permanent_refusal_fails_that_row_and_counts_against_the_address(monkeypatch):
    project = due_project()
    refused, fine = team(project, 2)
    pks = reminders.reminders_create(queue=False)
    failing_backend(monkeypatch, smtplib.SMTPRecipientsRefused({refused.email: (550, b"no")}))

    reminders.reminders_send(reminder_pks=pks)

    rows = {r.user_id: r for r in ReviewReminder.objects.all()}
    assert rows[refused.pk].status == ReminderStatus.FAILED
    assert "550" in rows[refused.pk].last_error
    assert rows[fine.pk].status == ReminderStatus.SENT
    assert ReminderAddressFailure.objects.get(user=refused).consecutive_failures == 1


@pytest.mark.django_db
def test_a_success_in_a_batch_clears_the_address_failures():
    project = due_project()
    [user] = team(project, 1)
    ReminderAddressFailure.objects.create(
        user=user, email=user.email, consecutive_failures=3, is_failing=True
    )
    pks = reminders.reminders_create(queue=False)

    reminders.reminders_send(reminder_pks=pks)

    failure = ReminderAddressFailure.objects.get(user=user)
    assert (failure.consecutive_failures, failure.is_failing) == (0, False)


@pytest.mark.django_db
def test_a_crash_during_a_batch_never_leads_to_a_second_e_mail(monkeypatch):
    project = due_project()
    team(project, 3)
    pks = reminders.reminders_create(queue=False)
    original = EmailBackend.send_messages
    calls = []

    def send_then_die(self, messages):
        calls.append(1)
        if len(calls) == 2:
            raise WorkerCrash
        return original(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_then_die)
    with pytest.raises(WorkerCrash):
        reminders.reminders_send(reminder_pks=pks)
    monkeypatch.setattr(EmailBackend, "send_messages", original)

    # acks_late: the task comes again and finds every row taken; the sweeper gives up on them.
    reminders.reminders_send(reminder_pks=pks)
    later = timezone.now() + reminders.STALE_SENDING + datetime.timedelta(minutes=1)
    assert reminders.reminders_sweep(later) == 0

    assert len(mail.outbox) == 1
    rows = ReviewReminder.objects.all()
    assert {r.status for r in rows} == {ReminderStatus.FAILED}
    assert {r.last_error for r in rows} == {reminders.UNKNOWN_OUTCOME}


@pytest.mark.django_db
def test_a_batch_whose_e_mail_cannot_be_built_fails_only_that_row(monkeypatch):
    project = due_project()
    broken, fine = team(project, 2)
    original = reminders.build_reminder_email

    def build(**kwargs):
        if kwargs["user"] == broken:
            raise ValueError("bad template")
        return original(**kwargs)

    monkeypatch.setattr(reminders, "build_reminder_email", build)
    pks = reminders.reminders_create(queue=False)

    reminders.reminders_send(reminder_pks=pks)

    rows = {r.user_id: r for r in ReviewReminder.objects.all()}
    assert (rows[broken.pk].status, rows[broken.pk].last_error) == (
        ReminderStatus.FAILED,
        "The e-mail could not be built (ValueError).",
    )
    assert rows[fine.pk].status == ReminderStatus.SENT
    assert [m.to for m in mail.outbox] == [[fine.email]]


@pytest.mark.django_db(transaction=True)
def test_sent_marks_do_not_wait_for_the_disk_on_postgresql_only():
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            reminders._commit_without_waiting_for_disk()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SHOW synchronous_commit")
                assert cursor.fetchone()[0] == "off"
        else:
            assert len(queries) == 0
    if connection.vendor == "postgresql":  # SET LOCAL: the next transaction waits again
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
