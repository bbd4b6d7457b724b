import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from projects.documents import GeneratedPdf


def status_report_path(instance: "WeeklyStatusReport", filename: str) -> str:
    return f"status-reports/{instance.project_id}/{uuid.uuid4().hex}.pdf"


class WeeklyStatusReport(GeneratedPdf):
    """A weekly status report PDF of one project, built by a worker; past ones stay listed."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="status_reports",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for the weekly automatic report."),
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    week = models.CharField(_("ISO week"), max_length=8, help_text=_("For example 2026-W48."))
    file = models.FileField(_("file"), upload_to=status_report_path, max_length=255, blank=True)

    class Meta:
        verbose_name = _("weekly status report")
        verbose_name_plural = _("weekly status reports")
        ordering = ["project", "-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "week"],
                condition=Q(requested_by__isnull=True),
                name="status_report_one_automatic_per_week",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} · {self.week} · {self.status}"

    @property
    def period(self) -> str:
        return self.week

    @property
    def is_automatic(self) -> bool:
        return self.requested_by_id is None
