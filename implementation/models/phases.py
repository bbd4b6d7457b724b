from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from implementation.choices import ChecklistItemKind, PhaseKind, PhaseStatus
from projects.models import validate_plausible_date


class Phase(models.Model):
    """One of a project's six phases, with its plan, its actual dates and its owner."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="phases",
    )
    kind = models.CharField(_("phase"), max_length=20, choices=PhaseKind.choices)
    position = models.PositiveSmallIntegerField(_("position"))
    status = models.CharField(
        _("status"), max_length=20, choices=PhaseStatus.choices, default=PhaseStatus.NOT_STARTED
    )
    planned_start = models.DateField(_("planned start"), validators=[validate_plausible_date])
    planned_end = models.DateField(_("planned end"), validators=[validate_plausible_date])
    actual_start = models.DateField(
        _("actual start"), null=True, blank=True, validators=[validate_plausible_date]
    )
    actual_end = models.DateField(
        _("actual end"), null=True, blank=True, validators=[validate_plausible_date]
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    notes = models.TextField(_("notes"), blank=True)
    # Set when the phase was completed with mandatory items still open; cleared on reopen
    # (the transition history keeps every waiver ever given).
    waiver_reason = models.TextField(_("waiver reason"), blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("waived by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    waived_at = models.DateTimeField(_("waived at"), null=True, blank=True)

    class Meta:
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        ordering = ["project", "position"]
        constraints = [
            models.UniqueConstraint(fields=["project", "kind"], name="phase_one_per_kind"),
            models.CheckConstraint(
                condition=Q(planned_end__gte=F("planned_start")),
                name="phase_planned_end_not_before_start",
                violation_error_message=_("The planned end cannot be before the planned start."),
            ),
            models.CheckConstraint(
                condition=Q(actual_end__isnull=True)
                | Q(actual_start__isnull=True)
                | Q(actual_end__gte=F("actual_start")),
                name="phase_actual_end_not_before_start",
                violation_error_message=_("The actual end cannot be before the actual start."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} · {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        return reverse("implementation:phase", args=[self.project.code, self.kind])

    def clean(self) -> None:
        # Report on the field, not as a whole-form error (the constraints back this up).
        errors = {}
        if self.planned_start and self.planned_end and self.planned_end < self.planned_start:
            errors["planned_end"] = _("The planned end cannot be before the planned start.")
        if self.actual_start and self.actual_end and self.actual_end < self.actual_start:
            errors["actual_end"] = _("The actual end cannot be before the actual start.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_waived(self) -> bool:
        return bool(self.waiver_reason)

    @property
    def is_open(self) -> bool:
        return self.status != PhaseStatus.COMPLETED


class ChecklistItem(models.Model):
    """A gate criterion or deliverable of a phase; mandatory ones gate the phase's completion."""

    phase = models.ForeignKey(
        Phase, verbose_name=_("phase"), on_delete=models.CASCADE, related_name="checklist_items"
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=ChecklistItemKind.choices,
        default=ChecklistItemKind.CRITERION,
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    due_date = models.DateField(
        _("due date"), null=True, blank=True, validators=[validate_plausible_date]
    )
    is_mandatory = models.BooleanField(_("mandatory"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    evidence_url = models.URLField(_("evidence link"), max_length=500, blank=True)
    evidence_file = models.FileField(
        _("evidence file"), upload_to="evidence/%Y/%m/", max_length=255, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["phase", "position", "pk"]
        indexes = [
            # Overdue mandatory items are counted for every project on every portfolio view.
            models.Index(
                fields=["due_date"],
                condition=Q(is_mandatory=True, done_at__isnull=True),
                name="checklist_open_mandatory_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def is_overdue(self, today) -> bool:
        return not self.is_done and self.due_date is not None and self.due_date < today


class ChecklistItemEvent(models.Model):
    """A tick or untick of a checklist item; the item shows only its latest state."""

    class Action(models.TextChoices):
        TICKED = "ticked", _("Ticked")
        UNTICKED = "unticked", _("Unticked")

    item = models.ForeignKey(
        ChecklistItem, verbose_name=_("item"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("checklist item event")
        verbose_name_plural = _("checklist item events")
        ordering = ["item", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.item}: {self.action}"


class PhaseTransition(models.Model):
    """A phase's status change: who moved it, when, and why (reopens and waivers need a why)."""

    phase = models.ForeignKey(
        Phase, verbose_name=_("phase"), on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField(_("from"), max_length=20, choices=PhaseStatus.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=PhaseStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    reason = models.TextField(_("reason"), blank=True)
    is_waiver = models.BooleanField(_("completed with a waiver"), default=False)

    class Meta:
        verbose_name = _("phase transition")
        verbose_name_plural = _("phase transitions")
        ordering = ["phase", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.phase}: {self.from_status} -> {self.to_status}"
