"""Reads of the communication plan, the end-user roster and training sessions, scoped to
what the asking user may see.

Lists load their people in the same query and count invitations and attendance with
annotations, so a page costs the same for two rows or two thousand. Training coverage uses
the readiness panel's own arithmetic (implementation.golive_rules.coverage) on the same
counts, so the training page and the go/no-go panel never disagree.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from implementation.golive_rules import Coverage, coverage, total_coverage
from implementation.models import Attendance, CommunicationActivity, EndUser, TrainingSession
from implementation.services.golive import golive_plan_of
from projects import policy
from projects.choices import Department
from projects.models import Project, User


def _ensure_visible(user, project: Project) -> None:
    if not policy.can_see(user, project):
        raise Http404(_("No project matches the given query."))


def team_members(project: Project) -> QuerySet[User]:
    """The people who can own an activity or train a session: the project's team."""
    return User.objects.filter(memberships__project=project).order_by(
        "first_name", "last_name", "username"
    )


# --- Communication plan --------------------------------------------------------------------


def activity_list(
    *, user, project: Project, status: str = "", kind: str = ""
) -> QuerySet[CommunicationActivity]:
    """The communication plan by date, optionally one status or one kind only."""
    _ensure_visible(user, project)
    queryset = CommunicationActivity.objects.filter(project=project).select_related("owner")
    if status:
        queryset = queryset.filter(status=status)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.order_by("planned_on", "pk")


def activity_kind_counts(*, user, project: Project) -> dict[str, int]:
    """How many activities of each kind the plan holds (one query)."""
    _ensure_visible(user, project)
    return dict(
        CommunicationActivity.objects.filter(project=project)
        .values_list("kind")
        .annotate(count=Count("pk"))
        .order_by()
    )


def activity_get(*, user, project: Project, pk: int) -> CommunicationActivity:
    activity = activity_list(user=user, project=project).filter(pk=pk).first()
    if activity is None:
        raise Http404(_("No communication activity matches the given query."))
    return activity


# --- End users -----------------------------------------------------------------------------


def end_user_list(*, user, project: Project, department: str = "") -> QuerySet[EndUser]:
    """The roster by department and name, with how many sessions each person attended."""
    _ensure_visible(user, project)
    queryset = EndUser.objects.filter(project=project).select_related("user")
    if department:
        queryset = queryset.filter(department=department)
    return queryset.annotate(
        sessions_attended=Count("attendances", filter=Q(attendances__attended=True))
    ).order_by("department", "name", "pk")


def end_user_get(*, user, project: Project, pk: int) -> EndUser:
    end_user = EndUser.objects.filter(project=project, pk=pk).select_related("user").first()
    _ensure_visible(user, project)
    if end_user is None:
        raise Http404(_("No end user matches the given query."))
    return end_user


# --- Training sessions ---------------------------------------------------------------------


def _with_counts(queryset: QuerySet[TrainingSession]) -> QuerySet[TrainingSession]:
    return queryset.select_related("trainer").annotate(
        invited=Count("attendances"),
        attended=Count("attendances", filter=Q(attendances__attended=True)),
    )


def session_list(*, user, project: Project) -> QuerySet[TrainingSession]:
    """The project's sessions by start time, with how many were invited and came."""
    _ensure_visible(user, project)
    return _with_counts(TrainingSession.objects.filter(project=project)).order_by("starts_at", "pk")


def session_get(*, user, project: Project, pk: int) -> TrainingSession:
    session = session_list(user=user, project=project).filter(pk=pk).first()
    if session is None:
        raise Http404(_("No training session matches the given query."))
    session.project = project
    return session


def session_attendance(*, user, session: TrainingSession) -> QuerySet[Attendance]:
    """Who was invited to a session, by department and name, with what was recorded."""
    _ensure_visible(user, session.project)
    return (
        Attendance.objects.filter(session=session)
        .select_related("end_user")
        .order_by("end_user__department", "end_user__name", "end_user__pk")
    )


# --- Coverage ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingCoverage:
    rows: list[Coverage]
    total: Coverage
    threshold: Decimal


def training_coverage(*, user, project: Project) -> TrainingCoverage:
    """Per department, the end users who attended at least one session, against the
    project's threshold; counted as implementation.readiness.load_facts counts them."""
    _ensure_visible(user, project)
    planned: dict[str, int] = {}
    trained: dict[str, int] = {}
    counts = {
        row["department"]: row
        for row in EndUser.objects.filter(project=project)
        .values("department")
        .annotate(
            # Distinct: the join to attendances repeats someone invited to several sessions.
            count=Count("pk", distinct=True),
            trained=Count("pk", filter=Q(attendances__attended=True), distinct=True),
        )
        .order_by("department")
    }
    # Departments in their usual order rather than alphabetically by code.
    for department in Department.values:
        if department in counts:
            planned[department] = counts[department]["count"]
            trained[department] = counts[department]["trained"]
    rows = coverage(planned, trained)
    return TrainingCoverage(
        rows=rows,
        total=total_coverage(rows),
        threshold=golive_plan_of(project).training_threshold,
    )
