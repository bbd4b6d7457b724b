"""PDFs built by workers: one row per document, and the build, retry and sweep around it.

A document row moves pending -> building -> ready, or failed (projects.choices.PdfStatus).
The row is written before the work is queued, so nothing is lost while the broker is down:
a row left pending, or building by a worker that died, is queued again by the sweeper
(beat) or by a retry. A build takes the row from pending or failed to building, renders,
stores the file with its SHA-256 and size, and marks it ready; a render failure is recorded
on the row, never raised; a second delivery of the task finds nothing to do. The sign-off
PDF and the benefits report are such documents.
"""

import datetime
import hashlib
import logging
import time
from collections.abc import Callable

from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from projects.choices import PdfStatus
from projects.errors import ApplicationError

logger = logging.getLogger(__name__)

ON_ITS_WAY = (PdfStatus.PENDING, PdfStatus.BUILDING)
BUILDABLE = (PdfStatus.PENDING, PdfStatus.FAILED)


class GeneratedPdf(models.Model):
    """The state and result of a PDF built by a worker (abstract: each document adds its file)."""

    status = models.CharField(
        _lazy("status"), max_length=10, choices=PdfStatus.choices, default=PdfStatus.PENDING
    )
    sha256 = models.CharField(_lazy("file SHA-256"), max_length=64, blank=True, db_index=True)
    size = models.PositiveIntegerField(_lazy("size in bytes"), null=True, blank=True)
    error = models.TextField(_lazy("why it failed"), blank=True)
    attempts = models.PositiveSmallIntegerField(_lazy("attempts"), default=0)
    queued_at = models.DateTimeField(_lazy("queued at"), null=True, blank=True)
    built_at = models.DateTimeField(_lazy("built at"), null=True, blank=True)
    build_seconds = models.FloatField(_lazy("build time (s)"), null=True, blank=True)

    class Meta:
        abstract = True


def pdf_build(
    model: type[GeneratedPdf],
    pk: int,
    *,
    render: Callable[[GeneratedPdf], bytes],
    filename: Callable[[GeneratedPdf], str],
    related: tuple[str, ...] = (),
) -> GeneratedPdf | None:
    """Build the document of row `pk`: render it, store the file, record the outcome."""
    with transaction.atomic():
        row = model.objects.select_for_update().filter(pk=pk).first()
        if row is None or row.status not in BUILDABLE:
            return row
        row.status, row.attempts, row.error = PdfStatus.BUILDING, row.attempts + 1, ""
        row.save(update_fields=["status", "attempts", "error"])
    row = model.objects.select_related(*related).get(pk=pk)
    started = time.perf_counter()
    try:
        content = render(row)
        row.file.save(filename(row), ContentFile(content), save=False)
    except Exception as error:
        logger.exception("Building %s %s failed", model._meta.verbose_name, pk)
        message = _("The PDF could not be built (%(error)s). Try again.") % {
            "error": type(error).__name__
        }
        return _finish(row, status=PdfStatus.FAILED, error=message)
    row.sha256, row.size = hashlib.sha256(content).hexdigest(), len(content)
    row.build_seconds = round(time.perf_counter() - started, 3)
    return _finish(row, status=PdfStatus.READY, error="")


def _finish(row: GeneratedPdf, *, status: str, error: str) -> GeneratedPdf:
    """Record the outcome, unless the row left "building" meanwhile (the sweeper took it
    back from a worker presumed dead, and another build owns it now): keep what is there."""
    model = type(row)
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=row.pk)
        if locked.status != PdfStatus.BUILDING:
            if row.file and row.file.name != locked.file.name:
                row.file.delete(save=False)
            return locked
        locked.status, locked.error = status, error
        fields = ["status", "error"]
        if status == PdfStatus.READY:
            locked.file, locked.sha256, locked.size = row.file, row.sha256, row.size
            locked.built_at, locked.build_seconds = timezone.now(), row.build_seconds
            fields += ["file", "sha256", "size", "built_at", "build_seconds"]
        locked.save(update_fields=fields)
    return locked


def pdf_requeue(row: GeneratedPdf, *, ready_message: str, queue: Callable) -> GeneratedPdf:
    """Put a failed or waiting row back in the queue (in the caller's transaction)."""
    locked = type(row).objects.select_for_update().get(pk=row.pk)
    if locked.status == PdfStatus.READY:
        raise ApplicationError(ready_message)
    if locked.status == PdfStatus.BUILDING:
        raise ApplicationError(_("The PDF is being built; wait a moment."))
    locked.status, locked.error, locked.queued_at = PdfStatus.PENDING, "", timezone.now()
    locked.save(update_fields=["status", "error", "queued_at"])
    queue(locked)
    return locked


def stuck(model: type[GeneratedPdf], *, older_than_seconds: int = 600):
    """Rows still waiting (the broker was down) or whose worker died while building."""
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    return model.objects.filter(status__in=ON_ITS_WAY, queued_at__lt=cutoff)


def pdf_sweep(model: type[GeneratedPdf], task, *, older_than_seconds: int = 600) -> int:
    """Queue every stuck row of `model` again with `task`; returns how many were queued."""
    from config.queue import enqueue

    queued = 0
    for pk in stuck(model, older_than_seconds=older_than_seconds).values_list("pk", flat=True):
        with transaction.atomic():
            locked = model.objects.select_for_update().get(pk=pk)
            if locked.status not in ON_ITS_WAY:
                continue
            locked.status, locked.queued_at = PdfStatus.PENDING, timezone.now()
            locked.save(update_fields=["status", "queued_at"])
        queued += enqueue(task, pk)
    return queued
