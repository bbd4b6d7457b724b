from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from implementation.choices import ActivityStatus, CommunicationKind
from projects.choices import Department, Role
from projects.models import validate_plausible_date


class CommunicationActivity(models.Model):
    """One item of the internal communication plan: who hears what, how and when."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="communication_activities",
    )
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=CommunicationKind.choices)
    audience_department = models.CharField(
        _("audience: department"),
        max_length=20,
        choices=Department.choices,
        blank=True,
        help_text=_("Leave both audience fields empty for everyone."),
    )
    audience_role = models.CharField(
        _("audience: role"), max_length=20, choices=Role.choices, blank=True
    )
    planned_on = models.DateField(_("date"), validators=[validate_plausible_date])
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ActivityStatus.choices, default=ActivityStatus.PLANNED
    )
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
        verbose_name = _("communication activity")
        verbose_name_plural = _("communication activities")
        ordering = ["project", "planned_on", "pk"]
        indexes = [models.Index(fields=["project", "planned_on"], name="communication_date_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def audience(self) -> str:
        parts = [self.get_audience_department_display(), self.get_audience_role_display()]
        return " · ".join(str(p) for p in parts if p) or str(_("Everyone"))


class EndUser(models.Model):
    """A person who will work in the new system: the people training has to reach.

    Most end users never log in to Rollout, so they are a roster of their own; a team member
    who is also an end user can be linked.
    """

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="end_users",
    )
    name = models.CharField(_("name"), max_length=150)
    department = models.CharField(_("department"), max_length=20, choices=Department.choices)
    email = models.EmailField(_("e-mail"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("end user")
        verbose_name_plural = _("end users")
        ordering = ["project", "department", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "email"],
                condition=~Q(email=""),
                name="end_user_email_per_project",
                violation_error_message=_("An end user with this e-mail is already listed."),
            ),
        ]
        indexes = [models.Index(fields=["project", "department"], name="end_user_department_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_department_display()})"


class TrainingSession(models.Model):
    """A training session for end users, with who was invited and who came."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="training_sessions",
    )
    title = models.CharField(_("title"), max_length=200)
    module = models.CharField(_("module"), max_length=120, blank=True)
    starts_at = models.DateTimeField(_("starts at"), validators=[validate_plausible_date])
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"),
        default=120,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
    )
    location = models.CharField(_("where"), max_length=200, blank=True)
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trainer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    notes = models.TextField(_("notes"), blank=True)
    attendees = models.ManyToManyField(
        EndUser, through="Attendance", related_name="training_sessions", verbose_name=_("attendees")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["project", "starts_at", "pk"]
        indexes = [models.Index(fields=["project", "starts_at"], name="training_session_start_idx")]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    """An end user invited to a session; `attended` is filled in afterwards."""

    session = models.ForeignKey(
        TrainingSession,
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        related_name="attendances",
    )
    end_user = models.ForeignKey(
        EndUser, verbose_name=_("end user"), on_delete=models.PROTECT, related_name="attendances"
    )
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["session", "end_user__name"]
        constraints = [
            models.UniqueConstraint(fields=["session", "end_user"], name="attendance_once"),
        ]
        indexes = [models.Index(fields=["end_user", "attended"], name="attendance_user_idx")]

    def __str__(self) -> str:
        return f"{self.session} · {self.end_user}"
