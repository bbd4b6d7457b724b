import datetime
import uuid
from decimal import Decimal
from pathlib import PurePosixPath

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from implementation.choices import (
    ReviewDecision,
    SlaUnit,
    TicketSource,
    TicketStatus,
)
from projects.models import validate_plausible_date
from uat.choices import Severity

DEFAULT_EXIT_WEEKS = 4
DEFAULT_SATISFACTION = Decimal("4.0")


class HypercarePlan(models.Model):
    """A project's support after go-live: working hours for the SLA clocks, the planned end
    and the exit thresholds. One per project, made with the defaults on first change."""

    project = models.OneToOneField(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="hypercare_plan",
    )
    planned_end = models.DateField(
        _("planned end of hypercare"),
        null=True,
        blank=True,
        validators=[validate_plausible_date],
        help_text=_("Empty: three months after go-live."),
    )
    work_starts = models.TimeField(_("working day starts"), default=datetime.time(8, 0))
    work_ends = models.TimeField(_("working day ends"), default=datetime.time(17, 0))
    working_days = models.CharField(
        _("working days"),
        max_length=13,
        default="0,1,2,3,4",
        help_text=_("Weekdays the support team works, Monday = 0."),
    )
    holidays = models.JSONField(
        _("public holidays"),
        default=list,
        blank=True,
        help_text=_("Dates (YYYY-MM-DD) the SLA clocks do not run."),
    )
    sla_weeks = models.PositiveSmallIntegerField(
        _("weeks of SLA met to exit"),
        default=DEFAULT_EXIT_WEEKS,
        validators=[MinValueValidator(1), MaxValueValidator(26)],
    )
    inflow_weeks = models.PositiveSmallIntegerField(
        _("weeks of falling ticket inflow to exit"),
        default=DEFAULT_EXIT_WEEKS,
        validators=[MinValueValidator(1), MaxValueValidator(26)],
    )
    satisfaction_threshold = models.DecimalField(
        _("satisfaction needed to exit (1-5)"),
        max_digits=3,
        decimal_places=1,
        default=DEFAULT_SATISFACTION,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("hypercare plan")
        verbose_name_plural = _("hypercare plans")

    def __str__(self) -> str:
        return str(self.project)


class SlaTarget(models.Model):
    """Response and resolution times of one severity on one project."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="sla_targets",
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    response_value = models.PositiveSmallIntegerField(
        _("respond within"), validators=[MinValueValidator(1), MaxValueValidator(999)]
    )
    response_unit = models.CharField(_("unit"), max_length=20, choices=SlaUnit.choices)
    resolution_value = models.PositiveSmallIntegerField(
        _("resolve within"), validators=[MinValueValidator(1), MaxValueValidator(999)]
    )
    resolution_unit = models.CharField(_("unit"), max_length=20, choices=SlaUnit.choices)

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(fields=["project", "severity"], name="sla_target_once"),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.severity}"


def ticket_attachment_path(instance: "TicketAttachment", filename: str) -> str:
    # A generated name: the uploader's file name never reaches the file system.
    suffix = PurePosixPath(filename).suffix.lower()[:8]
    return f"tickets/{instance.ticket.project_id}/{uuid.uuid4().hex}{suffix}"


class Ticket(models.Model):
    """A support request after go-live, with its SLA clocks.

    The due times are worked out when the ticket is raised (and again when its severity
    changes or it is reopened) in the project's working hours, and stored, so boards and
    counts of breaches are plain queries.
    """

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    number = models.PositiveIntegerField(_("number"), editable=False)
    module = models.CharField(_("module"), max_length=120)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    business_impact = models.TextField(
        _("business impact"),
        help_text=_("Who cannot do what, and what it costs: orders, invoices, customers."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    source = models.CharField(
        _("raised from"), max_length=10, choices=TicketSource.choices, default=TicketSource.WEB
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("raised at"), editable=False)
    acknowledged_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    response_due_at = models.DateTimeField(_("response due"), editable=False)
    resolution_due_at = models.DateTimeField(_("resolution due"), editable=False)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    defect = models.OneToOneField(
        "uat.Defect",
        verbose_name=_("converted into defect"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ticket",
    )
    configuration_change = models.ForeignKey(
        "implementation.ConfigurationChange",
        verbose_name=_("fixed by configuration change"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("support ticket")
        verbose_name_plural = _("support tickets")
        ordering = ["project", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="ticket_number_per_project"),
        ]
        indexes = [
            models.Index(fields=["project", "status", "severity"], name="ticket_board_idx"),
            models.Index(fields=["project", "created_at"], name="ticket_inflow_idx"),
            models.Index(fields=["project", "resolution_due_at"], name="ticket_due_idx"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.display_number} {self.title}"

    @property
    def display_number(self) -> str:
        return f"TCK-{self.number}"


class TicketEvent(models.Model):
    """One change to a ticket: a move or an edit (comments are their own rows); never
    changed."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    from_status = models.CharField(_("from"), max_length=20, choices=TicketStatus.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=TicketStatus.choices)
    comment = models.TextField(_("comment"), blank=True)
    changes = models.JSONField(_("changed fields"), default=dict, blank=True)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["ticket", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket.display_number}: {self.from_status} -> {self.to_status}"


class TicketComment(models.Model):
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ticket comment")
        verbose_name_plural = _("ticket comments")
        ordering = ["ticket", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket.display_number} · {self.author}"


class TicketAttachment(models.Model):
    """A screenshot or document on a ticket; its type is checked from its bytes
    (uat.attachments) and it is served only to project members."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=ticket_attachment_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ticket attachment")
        verbose_name_plural = _("ticket attachments")
        ordering = ["ticket", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class FeedbackResponse(models.Model):
    """One person's answer to one week's feedback round (answering again replaces it)."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="feedback_responses",
    )
    week = models.DateField(_("week of"), help_text=_("The Monday of the week answered."))
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("respondent"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.CharField(_("department"), max_length=20)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    blockers = models.TextField(_("what blocks you"), blank=True)
    helps = models.TextField(_("what helps you"), blank=True)
    submitted_at = models.DateTimeField(_("answered at"), auto_now=True)

    class Meta:
        verbose_name = _("feedback response")
        verbose_name_plural = _("feedback responses")
        ordering = ["project", "-week", "department"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "week", "respondent"], name="feedback_once_a_week"
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__gte=1, satisfaction__lte=5),
                name="feedback_satisfaction_1_to_5",
            ),
        ]
        indexes = [models.Index(fields=["project", "week"], name="feedback_week_idx")]

    def __str__(self) -> str:
        return f"{self.project} · {self.week} · {self.respondent}"


class ModuleReview(models.Model):
    """A periodic review of one module's adoption: a note and a decision; kept as history."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="module_reviews",
    )
    module = models.CharField(_("module"), max_length=120)
    reviewed_on = models.DateField(_("reviewed on"), validators=[validate_plausible_date])
    decision = models.CharField(_("decision"), max_length=20, choices=ReviewDecision.choices)
    note = models.TextField(_("note"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("module review")
        verbose_name_plural = _("module reviews")
        ordering = ["project", "module", "-reviewed_on", "-pk"]
        indexes = [models.Index(fields=["project", "module"], name="module_review_idx")]

    def __str__(self) -> str:
        return f"{self.module} · {self.reviewed_on}"
