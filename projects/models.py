import datetime
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.choices import Department, ProjectStatus, Role, SystemKind, Weekday


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


# Plans, logs and meetings of an implementation project live in this century; a date far
# outside it is a typo, and would break date arithmetic in timelines and agendas.
EARLIEST_DATE = datetime.date(2000, 1, 1)
LATEST_DATE = datetime.date(2100, 12, 31)


def validate_plausible_date(value: datetime.date) -> None:
    day = value.date() if isinstance(value, datetime.datetime) else value
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValidationError(
            _("Enter a date between %(first)s and %(last)s."),
            params={"first": EARLIEST_DATE.isoformat(), "last": LATEST_DATE.isoformat()},
        )


class User(AbstractUser):
    """A person who signs in; what they may do comes from their project memberships."""

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    def __str__(self) -> str:
        return self.display_name


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ProjectQuerySet":
        """Projects the user belongs to; superusers see all, anonymous users none."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(pk__in=Membership.objects.filter(user=user).values("project"))


class Project(models.Model):
    """An ERP/CRM implementation project: one client, one system, six phases."""

    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(
        _("code"),
        max_length=20,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Z0-9][A-Z0-9-]{1,19}$",
                _("Use 2-20 capital letters, digits or dashes, for example HNR-ERP."),
            )
        ],
        help_text=_("Short unique code used in links and reports, for example HNR-ERP."),
    )
    client_organisation = models.CharField(_("client organisation"), max_length=200)
    system_kind = models.CharField(_("system kind"), max_length=10, choices=SystemKind.choices)
    target_product = models.CharField(
        _("target product"),
        max_length=120,
        blank=True,
        help_text=_("For example Odoo 17 or SAP Business One."),
    )
    business_problem = models.TextField(
        _("business problem"),
        blank=True,
        help_text=_("What the new system must solve, in the business's own words."),
    )
    start_date = models.DateField(_("start date"), validators=[validate_plausible_date])
    target_go_live = models.DateField(
        _("target go-live date"), validators=[validate_plausible_date]
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ProjectStatus.choices, default=ProjectStatus.ACTIVE
    )
    review_weekday = models.PositiveSmallIntegerField(
        _("weekly review day"), choices=Weekday.choices, default=Weekday.MONDAY
    )
    review_time = models.TimeField(_("weekly review time"), default=datetime.time(9, 0))
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=settings.TIME_ZONE,
        validators=[validate_time_zone],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_go_live__gte=F("start_date")),
                name="project_go_live_not_before_start",
                violation_error_message=_("The go-live date cannot be before the start date."),
            ),
        ]
        indexes = [models.Index(fields=["status", "name"], name="project_status_name_idx")]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("projects:detail", args=[self.code])

    def clean(self) -> None:
        if self.start_date and self.target_go_live and self.target_go_live < self.start_date:
            raise ValidationError(
                {"target_go_live": _("The go-live date cannot be before the start date.")}
            )

    def local_today(self) -> datetime.date:
        """Today's date where the project happens, not where the server is."""
        return timezone.localdate(timezone=zoneinfo.ZoneInfo(self.time_zone))

    @property
    def days_to_go_live(self) -> int:
        return (self.target_go_live - self.local_today()).days


class Membership(models.Model):
    """A user's seat on one project team: their role there and the department they speak for."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    department = models.CharField(
        _("department"), max_length=20, choices=Department.choices, default=Department.OTHER
    )
    digest_opt_out = models.BooleanField(
        _("no weekly review e-mail"),
        default=False,
        help_text=_("The member does not get the e-mail before each weekly review."),
    )
    is_champion = models.BooleanField(
        _("digital champion"),
        default=False,
        help_text=_(
            "Helps colleagues of their department during the roll-out; one per department."
        ),
    )
    on_hypercare_team = models.BooleanField(
        _("on the hypercare team"),
        default=False,
        help_text=_("Supports users after go-live."),
    )
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["project", "role", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "user"],
                name="membership_one_seat_per_user",
                violation_error_message=_("This person is already on the project team."),
            ),
            models.UniqueConstraint(
                fields=["project", "department"],
                condition=Q(is_champion=True),
                name="membership_one_champion_per_department",
                violation_error_message=_("This department already has a digital champion."),
            ),
        ]
        indexes = [models.Index(fields=["user", "project"], name="membership_user_project_idx")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.project.code}"
