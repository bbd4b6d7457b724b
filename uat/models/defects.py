import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from implementation.choices import Environment
from projects.models import validate_plausible_date
from uat.choices import DefectStatus, Priority, Severity


class Defect(models.Model):
    """A problem found in UAT, worked through the defect workflow (see uat.choices)."""

    # No index of its own: the unique key and the indexes below all begin with the project
    # (with a lone project index, PostgreSQL read all of a big project's rows instead).
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="defects",
        db_index=False,
    )
    number = models.PositiveIntegerField(_("number"), editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    steps_to_reproduce = models.TextField(_("steps to reproduce"), blank=True)
    expected_result = models.TextField(_("expected result"), blank=True)
    actual_result = models.TextField(_("actual result"), blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.MEDIUM
    )
    module = models.CharField(_("module"), max_length=120, blank=True)
    environment = models.CharField(
        _("environment"), max_length=20, choices=Environment.choices, default=Environment.TEST
    )
    status = models.CharField(
        _("status"), max_length=20, choices=DefectStatus.choices, default=DefectStatus.NEW
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
    cycle = models.ForeignKey(
        "uat.TestCycle",
        verbose_name=_("cycle"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="defects",
        db_index=False,  # defect_cycle_idx begins with it
    )
    execution = models.ForeignKey(
        "uat.TestExecution",
        verbose_name=_("found in run"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="defects",
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
    )
    deferral_reason = models.TextField(_("why deferred"), blank=True)
    workaround = models.TextField(_("workaround"), blank=True)
    target_date = models.DateField(
        _("target date"), null=True, blank=True, validators=[validate_plausible_date]
    )
    # Who moved it to fixed: that person may not be the one to re-test it.
    fixed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("fixed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("defect")
        verbose_name_plural = _("defects")
        ordering = ["project", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="defect_number_per_project"),
            models.CheckConstraint(
                condition=~Q(status=DefectStatus.DUPLICATE) | Q(duplicate_of__isnull=False),
                name="duplicate_names_its_original",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "status", "severity"], name="defect_status_idx"),
            models.Index(fields=["assignee", "status"], name="defect_assignee_idx"),
            # A cycle's severity x status counts (its dashboard) from the index alone.
            models.Index(fields=["cycle", "severity", "status"], name="defect_cycle_idx"),
            # The list filtered by severity, newest first: a deep page's keys come from this
            # index alone (uat.views.defects.KeysFirstPaginator).
            models.Index(fields=["project", "severity", "-number"], name="defect_severity_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.display_number} · {self.title}"

    @property
    def display_number(self) -> str:
        return f"DEF-{self.number}"


class DefectEvent(models.Model):
    """One change to a defect: a transition or an edit, with who, when and a comment."""

    defect = models.ForeignKey(
        Defect, verbose_name=_("defect"), on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    from_status = models.CharField(_("from"), max_length=20, choices=DefectStatus.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=DefectStatus.choices)
    comment = models.TextField(_("comment"), blank=True)
    changes = models.JSONField(_("changed fields"), default=dict, blank=True)

    class Meta:
        verbose_name = _("defect event")
        verbose_name_plural = _("defect events")
        ordering = ["defect", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.defect.display_number}: {self.from_status} -> {self.to_status}"


class DefectComment(models.Model):
    """A comment on a defect by a project member."""

    defect = models.ForeignKey(
        Defect, verbose_name=_("defect"), on_delete=models.CASCADE, related_name="comments"
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
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["defect", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.defect.display_number} · {self.author}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    # A generated name: the uploader's file name never reaches the file system.
    suffix = PurePosixPath(filename).suffix.lower()[:8]
    return f"attachments/{instance.project_id}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    """A screenshot or document on a defect or a test run, served only to project members."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="attachments",
    )
    defect = models.ForeignKey(
        Defect,
        verbose_name=_("defect"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    execution = models.ForeignKey(
        "uat.TestExecution",
        verbose_name=_("test run"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
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
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(defect__isnull=False) | Q(execution__isnull=False),
                name="attachment_belongs_somewhere",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name
