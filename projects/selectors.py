"""Reads scoped to the asking user. Every project read starts from Project.objects.visible_to."""

from django.db.models import Case, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.http import Http404
from django.utils.translation import gettext as _

from projects import policy
from projects.choices import Role
from projects.models import Membership, Project

# Teams list project managers first, then the roles in the order Role declares them.
ROLE_RANK = Case(
    *(When(role=role, then=Value(rank)) for rank, role in enumerate(Role)),
    default=Value(len(Role)),
    output_field=IntegerField(),
)


def _with_viewer_role(queryset: QuerySet[Project], user) -> QuerySet[Project]:
    role = Membership.objects.filter(project=OuterRef("pk"), user_id=user.pk).values("role")[:1]
    return queryset.annotate(viewer_role=Subquery(role))


def project_list(*, user, filters: dict | None = None) -> QuerySet[Project]:
    """The user's projects, with the user's role on each, optionally filtered."""
    from projects.filters import ProjectFilter

    queryset = _with_viewer_role(Project.objects.visible_to(user), user).order_by("name", "pk")
    if filters:
        queryset = ProjectFilter(filters, queryset=queryset).qs
    return queryset


def project_get(*, user, code: str) -> Project:
    """One project the user can see, by code; 404 for everyone else."""
    if "\x00" in code:  # no code holds a NUL, and PostgreSQL refuses one in a query
        raise Http404(_("No project matches the given query."))
    project = _with_viewer_role(Project.objects.visible_to(user), user).filter(code=code).first()
    if project is None:
        raise Http404(_("No project matches the given query."))
    policy.remember_role(project, user, project.viewer_role)
    return project


def membership_list(*, user, project: Project) -> QuerySet[Membership]:
    """The team of a project the user can see, managers first."""
    if not policy.can_see(user, project):
        raise Http404(_("No project matches the given query."))
    return (
        Membership.objects.filter(project=project)
        .select_related("user")
        .annotate(role_rank=ROLE_RANK)
        .order_by("role_rank", "user__last_name", "user__first_name", "user__username")
    )


def memberships_visible_to(user) -> QuerySet[Membership]:
    """Memberships of every project the user can see (for the API)."""
    return Membership.objects.filter(
        project__in=Project.objects.visible_to(user).values("pk")
    ).select_related("user", "project")


def membership_get(*, user, pk: int) -> Membership:
    membership = memberships_visible_to(user).filter(pk=pk).first()
    if membership is None:
        raise Http404(_("No membership matches the given query."))
    return membership
