"""A review reminder goes over real SMTP to a server started by the test, and reads back."""

import email
import email.policy
import socket
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from django.urls import reverse

from implementation.models import ReminderStatus, ReviewReminder
from implementation.services import reminders
from tests.implementation.test_reminders_services import dispatch, due_project, team


class Inbox(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_inbox(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()


def wait_for(inbox, count=1, timeout=5.0):
    deadline = time.monotonic() + timeout
    while len(inbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return inbox.messages


@pytest.mark.django_db
def test_reminder_is_delivered_over_smtp_once_with_text_html_and_message_id(
    smtp_inbox, django_capture_on_commit_callbacks, settings
):
    project = due_project()
    [user] = team(project, 1)

    assert dispatch(django_capture_on_commit_callbacks) == 1
    assert dispatch(django_capture_on_commit_callbacks) == 0

    [received] = wait_for(smtp_inbox)
    time.sleep(0.2)
    assert len(smtp_inbox.messages) == 1
    reminder = ReviewReminder.objects.get()
    assert reminder.status == ReminderStatus.SENT
    parsed = email.message_from_bytes(received.as_bytes(), policy=email.policy.default)
    assert parsed["To"] == user.email
    assert parsed["Message-ID"] == reminder.message_id
    assert parsed["Auto-Submitted"] == "auto-generated"
    opt_out = reverse("implementation:reminder-opt-out", args=[project.code])
    assert parsed["List-Unsubscribe"] == f"<{settings.SITE_URL}{opt_out}>"
    assert parsed.get_body(("plain",)).get_content().strip()
    assert "<" in parsed.get_body(("html",)).get_content()
    assert project.code in parsed["Subject"] or project.name in parsed["Subject"]


@pytest.mark.django_db
def test_a_closed_smtp_port_is_a_temporary_error(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    project = due_project()
    team(project, 1)
    [pk] = reminders.reminders_create(queue=False)

    with pytest.raises(reminders.TemporaryMailError):
        reminders.reminder_send(reminder_pk=pk)

    assert ReviewReminder.objects.get(pk=pk).status == ReminderStatus.PENDING
