"""Opting out of the weekly review e-mail, the team page for the project manager, commands."""

import datetime
import io
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from implementation.models import ReminderAddressFailure, ReminderStatus, ReviewReminder
from projects.models import Membership
from tests.implementation.test_reminders_services import due_project, team


def opt_out_url(project) -> str:
    return reverse("implementation:reminder-opt-out", args=[project.code])


@pytest.mark.django_db
def test_a_member_opts_out_with_htmx_and_gets_the_partial(client, project, pilot_user):
    client.force_login(pilot_user)

    response = client.post(opt_out_url(project), {"opt_out": "1"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b"Send it to me again" in response.content
    assert Membership.objects.get(project=project, user=pilot_user).digest_opt_out is True


@pytest.mark.django_db
def test_a_member_opts_in_again_without_javascript(client, project, pilot_user):
    Membership.objects.filter(user=pilot_user).update(digest_opt_out=True)
    client.force_login(pilot_user)

    response = client.post(opt_out_url(project), {"opt_out": "0"})

    assert response.status_code == 302
    assert response["Location"] == reverse("projects:team", args=[project.code])
    assert Membership.objects.get(project=project, user=pilot_user).digest_opt_out is False


@pytest.mark.django_db
def test_outsiders_get_404_and_anonymous_users_sign_in(client, project, pm, outsider):
    client.force_login(outsider)
    assert client.post(opt_out_url(project), {"opt_out": "1"}).status_code == 404
    client.logout()
    assert client.post(opt_out_url(project), {"opt_out": "1"}).status_code == 302
    assert Membership.objects.filter(digest_opt_out=True).count() == 0


@pytest.mark.django_db
def test_get_is_not_allowed(client, project, pilot_user):
    client.force_login(pilot_user)
    assert client.get(opt_out_url(project)).status_code == 405


@pytest.mark.django_db
def test_team_page_shows_the_manager_who_opted_out_and_failing_addresses(
    client, project, pm, pilot_user, key_user
):
    Membership.objects.filter(user=pilot_user).update(digest_opt_out=True)
    ReminderAddressFailure.objects.create(
        user=key_user,
        email=key_user.email,
        consecutive_failures=3,
        is_failing=True,
        last_error="SMTPRecipientsRefused: 550",
    )
    # An old address of the same person no longer matters.
    ReminderAddressFailure.objects.create(
        user=key_user, email="old@example.com", consecutive_failures=5, is_failing=True
    )
    client.force_login(pm)

    page = client.get(reverse("projects:team", args=[project.code])).content.decode()

    assert 'class="opted-out">' + pilot_user.display_name in page
    assert f"&lt;{key_user.email}&gt;" in page
    assert "old@example.com" not in page
    assert "SMTPRecipientsRefused: 550" in page


@pytest.mark.django_db
def test_team_page_hides_opt_outs_and_failures_from_members_without_manage_team(
    client, project, pm, pilot_user, key_user
):
    Membership.objects.filter(user=key_user).update(digest_opt_out=True)
    ReminderAddressFailure.objects.create(user=key_user, email=key_user.email, is_failing=True)
    client.force_login(pilot_user)

    page = client.get(reverse("projects:team", args=[project.code])).content.decode()

    assert "opted-out" not in page
    assert "failing-address" not in page
    assert "Stop these e-mails" in page  # their own switch


# --- Management commands ----------------------------------------------------------------------


@pytest.mark.django_db
def test_send_review_reminders_in_process_sends_once():
    project = due_project()
    users = team(project, 2)
    out = io.StringIO()

    call_command("send_review_reminders", "--in-process", stdout=out)
    call_command("send_review_reminders", "--in-process", stdout=out)

    assert out.getvalue().splitlines() == [
        "2 reminder(s) created, 2 sent.",
        "0 reminder(s) created, 0 sent.",
    ]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)


@pytest.mark.django_db
def test_send_review_reminders_takes_the_moment_to_dispatch_for(
    django_capture_on_commit_callbacks,
):
    project = due_project(hours=30)  # outside the 24 hours now, inside in 10 hours
    team(project, 1)
    now = timezone.now()
    out = io.StringIO()

    call_command("send_review_reminders", "--now", now.isoformat(), stdout=out)
    later = (now + datetime.timedelta(hours=10)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_review_reminders", "--now", later, stdout=out)

    assert out.getvalue().splitlines() == [
        "0 reminder(s) created, queued.",
        "1 reminder(s) created, queued.",
    ]
    assert len(mail.outbox) == 1  # queued: in tests, run in-process
    with pytest.raises(CommandError, match="time zone"):
        call_command("send_review_reminders", "--now", "2026-01-01T00:00")


@pytest.mark.django_db
def test_preview_dry_run_prints_the_email_without_sending_or_recording():
    project = due_project(hours=50)
    [user] = team(project, 1)
    out = io.StringIO()

    call_command("preview_review_reminder", project.code, user.username, "--dry-run", stdout=out)

    text = out.getvalue()
    assert f"To: {user.email}" in text
    assert f"Message-ID: <review-reminder.{project.pk}.{user.pk}." in text
    assert "text/html" in text
    assert mail.outbox == []
    assert ReviewReminder.objects.count() == 0


@pytest.mark.django_db
def test_preview_without_dry_run_records_and_sends_once(monkeypatch):
    project = due_project()
    [user] = team(project, 1)

    call_command("preview_review_reminder", project.code, user.username, stdout=io.StringIO())
    with pytest.raises(CommandError, match="sent only once"):
        call_command("preview_review_reminder", project.code, user.username, stdout=io.StringIO())

    assert ReviewReminder.objects.get().status == ReminderStatus.SENT
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_preview_reports_unknown_project_and_member(project, outsider):
    with pytest.raises(CommandError, match="No project"):
        call_command("preview_review_reminder", "NOPE", "x")
    with pytest.raises(CommandError, match="not on the team"):
        call_command("preview_review_reminder", project.code, outsider.username)


@pytest.mark.django_db
def test_send_command_leaves_a_temporarily_failing_reminder_pending(monkeypatch):
    project = due_project()
    team(project, 1)

    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    err = io.StringIO()
    call_command("send_review_reminders", "--in-process", stdout=io.StringIO(), stderr=err)

    assert "left pending" in err.getvalue()
    assert ReviewReminder.objects.get().status == ReminderStatus.PENDING
