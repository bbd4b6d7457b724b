import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from implementation.choices import CutoverStatus, RehearsalOutcome
from projects.models import validate_plausible_date

LONGEST_TASK_MINUTES = 14 * 24 * 60  # two weeks: anything longer is a typo, not a task


class CutoverTask(models.Model):
    """One step of the go-live weekend, in order, with its owner, timing and dependencies."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="cutover_tasks",
    )
    number = models.PositiveIntegerField(_("number"), editable=False)
    position = models.PositiveIntegerField(_("order"), default=0)
    title = models.CharField(_("task"), max_length=200)
    instructions = models.TextField(_("instructions"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    planned_start = models.DateTimeField(
        _("planned start"), null=True, blank=True, validators=[validate_plausible_date]
    )
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(LONGEST_TASK_MINUTES)],
    )
    depends_on = models.ManyToManyField(
        "self",
        verbose_name=_("depends on"),
        symmetrical=False,
        blank=True,
        related_name="dependents",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CutoverStatus.choices, default=CutoverStatus.NOT_STARTED
    )
    actual_start = models.DateTimeField(_("actual start"), null=True, blank=True)
    actual_end = models.DateTimeField(_("actual end"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("cutover task")
        verbose_name_plural = _("cutover tasks")
        ordering = ["project", "position", "number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="cutover_task_number"),
        ]
        indexes = [
            models.Index(fields=["project", "position", "number"], name="cutover_task_order_idx")
        ]

    def __str__(self) -> str:
        return f"{self.display_number} {self.title}"

    @property
    def display_number(self) -> str:
        return f"T-{self.number}"

    @property
    def planned_end(self) -> datetime.datetime | None:
        if self.planned_start is None or self.duration_minutes is None:
            return None
        return self.planned_start + datetime.timedelta(minutes=self.duration_minutes)

    @property
    def is_complete(self) -> bool:
        """Planned well enough to run: an owner and a time."""
        return bool(self.owner_id and self.planned_start and self.duration_minutes)


class CutoverRehearsal(models.Model):
    """A dress rehearsal of the cutover plan, and whether it went through."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="cutover_rehearsals",
    )
    held_on = models.DateField(_("held on"), validators=[validate_plausible_date])
    outcome = models.CharField(_("outcome"), max_length=20, choices=RehearsalOutcome.choices)
    duration_hours = models.DecimalField(
        _("hours it took"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(999)],
    )
    notes = models.TextField(_("what was learnt"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("cutover rehearsal")
        verbose_name_plural = _("cutover rehearsals")
        ordering = ["project", "-held_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.held_on} · {self.get_outcome_display()}"
