from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from uat.choices import ExecutionResult


class TestExecution(models.Model):
    """One run of a scenario in a cycle by a pilot user; the latest run counts."""

    entry = models.ForeignKey(
        "uat.CycleScenario",
        verbose_name=_("scenario in cycle"),
        on_delete=models.PROTECT,
        related_name="executions",
    )
    # The entry's cycle's project, kept on the run so a project's runs come latest first
    # from one index (the API lists them) instead of sorting every run through two joins.
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,  # execution_project_idx starts with it
    )
    executed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("run by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    executed_at = models.DateTimeField(_("run at"), auto_now_add=True)
    result = models.CharField(_("result"), max_length=10, choices=ExecutionResult.choices)
    failed_step = models.ForeignKey(
        "uat.ScenarioStep",
        verbose_name=_("failed at step"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actual_result = models.TextField(_("actual result"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("test execution")
        verbose_name_plural = _("test executions")
        ordering = ["entry", "-executed_at", "-pk"]
        indexes = [
            models.Index(fields=["entry", "-executed_at"], name="execution_latest_idx"),
            models.Index(fields=["project", "-executed_at", "-id"], name="execution_project_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.entry} · {self.result}"

    def save(self, *args, **kwargs):
        # The project follows from the entry; derive it so no caller can get it wrong.
        if self.project_id is None:
            self.project_id = self.entry.cycle.project_id
        super().save(*args, **kwargs)
