"""A real Celery worker builds the benefits report from a task sent through the configured
broker (memory:// on the embedded defaults, Redis when REDIS_URL is set). The worker consumes
both the default queue and "pdf", so the test holds whether or not the build task is routed."""

import contextlib
import hashlib
import logging
import threading
import time

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import setup_logging, task_prerun
from django.db import OperationalError

from config.celery import app
from kpis import reports
from kpis.models import BenefitsReport
from projects.choices import PdfStatus
from tests.uat.test_signoffs_worker import (
    BUILD_SECONDS,
    BoundedWorkController,
    _keep_logging,
)

pytestmark = [pytest.mark.real_worker, pytest.mark.django_db(transaction=True)]

TASK = "kpis.benefits_report_build_task"


@contextlib.contextmanager
def running_worker(task_threads: list[int]):
    """A worker thread on both queues; `task_threads` collects where the build task ran."""

    def record_thread(sender=None, **kwargs):
        if sender is not None and sender.name == TASK:
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


def wait_for_report(pk: int, *, seconds: float) -> BenefitsReport | None:
    """Poll the database until the report is built or failed, or the deadline passes."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            report = BenefitsReport.objects.filter(pk=pk).first()
        except OperationalError:  # SQLite: the worker holds the table lock for a moment
            report = None
        if report is not None and report.status in {PdfStatus.READY, PdfStatus.FAILED}:
            return report
        time.sleep(0.2)
    return None


def test_worker_builds_the_report_sent_through_the_broker(project, viewer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    threads_before = set(threading.enumerate())
    root_level = logging.getLogger().level
    task_threads: list[int] = []

    with running_worker(task_threads):
        # Not eager: the commit sends the build task to the broker, and the worker takes it.
        assert app.conf.task_always_eager is False
        requested = reports.report_request(actor=viewer, project=project)
        report = wait_for_report(requested.pk, seconds=BUILD_SECONDS)

    assert report is not None, f"No report within {BUILD_SECONDS} s"
    assert report.status == PdfStatus.READY, report.error
    assert task_threads, "The build task never reached the worker"
    assert threading.get_ident() not in task_threads
    with report.file.open("rb") as stored:
        content = stored.read()
    assert content.startswith(b"%PDF-")
    assert report.sha256 == hashlib.sha256(content).hexdigest()
    assert report.size == len(content)
    assert report.attempts == 1
    left_running = [t for t in threading.enumerate() if t not in threads_before and t.is_alive()]
    assert left_running == []
    assert logging.getLogger().level == root_level
