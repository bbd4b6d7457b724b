"""A real Celery worker builds the sign-off PDF from a task sent through the configured broker
(memory:// on the embedded defaults, Redis when REDIS_URL is set)."""

import contextlib
import hashlib
import logging
import threading
import time

import pytest
from celery.contrib.testing.worker import TestWorkController, start_worker
from celery.signals import setup_logging, task_prerun
from django.db import OperationalError

from config.celery import app
from projects.choices import PdfStatus
from tests.uat.signoff_builders import passing_cycle, requested, sign
from uat.models import SignoffPdf

pytestmark = [pytest.mark.real_worker, pytest.mark.django_db(transaction=True)]

STARTUP_SECONDS = 20
BUILD_SECONDS = 30


class BoundedWorkController(TestWorkController):
    """The test worker, but one that never comes up fails the test instead of hanging it."""

    def ensure_started(self):
        if not self._on_started.wait(STARTUP_SECONDS):
            raise RuntimeError(f"The Celery worker did not start within {STARTUP_SECONDS} s.")


def _keep_logging(**kwargs):
    """While connected, the embedded worker leaves the test run's logging configuration alone
    (otherwise it sets the root logger to ERROR for the rest of this process)."""


@contextlib.contextmanager
def running_worker(task_threads: list[int]):
    """A worker thread consuming both queues; `task_threads` collects where the PDF task ran."""

    def record_thread(sender=None, **kwargs):
        if sender is not None and sender.name == "uat.signoff_pdf_build_task":
            task_threads.append(threading.get_ident())

    setup_logging.connect(_keep_logging, weak=False)
    task_prerun.connect(record_thread, weak=False)
    try:
        with start_worker(
            app,
            queues=["celery", "pdf"],
            perform_ping_check=False,
            shutdown_timeout=BUILD_SECONDS,
            WorkController=BoundedWorkController,
        ) as worker:
            yield worker
    finally:
        task_prerun.disconnect(record_thread)
        setup_logging.disconnect(_keep_logging)


def wait_for_pdf(signoff, *, seconds: float) -> SignoffPdf | None:
    """Poll the database until the sign-off's PDF is built or failed, or the deadline passes."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            pdf = SignoffPdf.objects.filter(signoff=signoff).first()
        except OperationalError:  # SQLite: the worker holds the table lock for a moment
            pdf = None
        if pdf is not None and pdf.status in {PdfStatus.READY, PdfStatus.FAILED}:
            return pdf
        time.sleep(0.2)
    return None


def test_worker_builds_the_pdf_sent_through_the_broker(
    project, pm, key_user, pilot_user, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    signoff = requested(project, pm, passing_cycle(project, pilot_user), (key_user, "Owner"))
    threads_before = set(threading.enumerate())
    root_level = logging.getLogger().level
    task_threads: list[int] = []

    with running_worker(task_threads):
        # Not eager: the commit sends the build task to the broker, and the worker takes it.
        assert app.conf.task_always_eager is False
        sign(key_user, signoff)
        pdf = wait_for_pdf(signoff, seconds=BUILD_SECONDS)

    assert pdf is not None, f"No PDF within {BUILD_SECONDS} s"
    assert pdf.status == PdfStatus.READY, pdf.error
    assert task_threads, "The build task never reached the worker"
    assert threading.get_ident() not in task_threads
    with pdf.file.open("rb") as stored:
        content = stored.read()
    assert content.startswith(b"%PDF-")
    assert pdf.sha256 == hashlib.sha256(content).hexdigest()
    assert pdf.size == len(content)
    assert pdf.attempts == 1
    left_running = [t for t in threading.enumerate() if t not in threads_before and t.is_alive()]
    assert left_running == []
    assert logging.getLogger().level == root_level
