"""A real Celery worker sends the reminders the dispatch queued through the configured broker
(memory:// on the embedded defaults, Redis when REDIS_URL is set)."""

import contextlib
import logging
import time

import pytest
from celery.contrib.testing.worker import TestWorkController, start_worker
from celery.signals import setup_logging
from django.core import mail
from django.db import OperationalError

from config.celery import app
from implementation.models import ReminderStatus, ReviewReminder
from implementation.services import reminders
from tests.implementation.test_reminders_services import due_project, team

pytestmark = [pytest.mark.real_worker, pytest.mark.django_db(transaction=True)]

STARTUP_SECONDS = 20
SEND_SECONDS = 30


class BoundedWorkController(TestWorkController):
    def ensure_started(self):
        if not self._on_started.wait(STARTUP_SECONDS):
            raise RuntimeError(f"The Celery worker did not start within {STARTUP_SECONDS} s.")


def _keep_logging(**kwargs):
    """Leave the test run's logging configuration alone."""


@contextlib.contextmanager
def running_worker():
    setup_logging.connect(_keep_logging, weak=False)
    try:
        with start_worker(
            app,
            queues=["celery"],
            perform_ping_check=False,
            shutdown_timeout=SEND_SECONDS,
            WorkController=BoundedWorkController,
        ) as worker:
            yield worker
    finally:
        setup_logging.disconnect(_keep_logging)


def wait_until_settled(count: int, seconds: float) -> list[str]:
    deadline = time.monotonic() + seconds
    statuses: list[str] = []
    while time.monotonic() < deadline:
        try:
            statuses = list(ReviewReminder.objects.values_list("status", flat=True))
        except OperationalError:  # SQLite: the worker holds the lock for a moment
            statuses = []
        unsettled = {ReminderStatus.PENDING, ReminderStatus.SENDING} & set(statuses)
        if len(statuses) == count and not unsettled:
            return statuses
        time.sleep(0.2)
    return statuses


def test_worker_sends_each_reminder_once_even_when_dispatched_twice():
    project = due_project()
    users = team(project, 3)
    root_level = logging.getLogger().level

    with running_worker():
        assert app.conf.task_always_eager is False
        assert reminders.reminders_dispatch() == 3
        assert reminders.reminders_dispatch() == 0
        # A duplicate delivery of one task (acks_late after a lost ack) changes nothing.
        from implementation.tasks import review_reminder_send_task

        review_reminder_send_task.delay(ReviewReminder.objects.first().pk)
        statuses = wait_until_settled(3, SEND_SECONDS)
        time.sleep(0.5)

    assert statuses == [ReminderStatus.SENT] * 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    assert logging.getLogger().level == root_level
