"""Reads of defects, comments and attachments, scoped to the asking user.

Everything starts from `defects_visible_to`: defects of the projects the user belongs to.
Invisible objects answer 404, whether they exist or not.
"""

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from projects import policy
from projects.models import Project, User
from projects.policy import Capability
from uat.choices import DefectStatus, Severity
from uat.models import Attachment, Defect, DefectComment, DefectEvent, TestCycle

_LIST_RELATED = ("project", "reporter", "assignee", "cycle", "fixed_by", "duplicate_of")
# What a row of the list page shows: fewer joins (PostgreSQL spent longer planning the
# seven-table join than running it) and no long texts the row never prints.
_PAGE_RELATED = ("reporter", "assignee", "cycle")
_PAGE_DEFERRED = (
    "description",
    "steps_to_reproduce",
    "expected_result",
    "actual_result",
    "deferral_reason",
    "workaround",
)


def _not_found(what: str) -> Http404:
    return Http404(_("No %(what)s matches the given query.") % {"what": what})


def defects_visible_to(user) -> QuerySet[Defect]:
    """Defects of every project the user can see (for the API), by project, newest first.

    By the project's key rather than its name: the (project, number) index then serves a
    page without sorting the project's every defect."""
    return (
        Defect.objects.filter(project__in=Project.objects.visible_to(user).values("pk"))
        .select_related(*_LIST_RELATED)
        .order_by("project_id", "-number")
    )


def defect_list(*, user, project: Project) -> QuerySet[Defect]:
    """A project's defects, newest first, with what the list shows in one query."""
    if not policy.can_see(user, project):
        raise _not_found(_("project"))
    return Defect.objects.filter(project=project).select_related(*_LIST_RELATED).order_by("-number")


def defects_by_numbers(numbers, *, project: Project) -> list[Defect]:
    """The defects of a list page whose numbers were found first (uat.views.defects), with
    what a row shows, newest first. They all belong to `project`, which the caller holds."""
    defects = list(
        Defect.objects.filter(project=project, number__in=numbers)
        .select_related(*_PAGE_RELATED)
        .defer(*_PAGE_DEFERRED)
        .order_by("-number")
    )
    for defect in defects:
        defect.project = project
    return defects


def defect_get(*, user, project: Project, number: int) -> Defect:
    """One defect of a project the user can see, by its number in the project."""
    defect = defect_list(user=user, project=project).filter(number=number).first()
    if defect is None:
        raise _not_found(_("defect"))
    defect.project = project  # the caller's instance carries the cached role
    return defect


def defect_get_by_pk(*, user, pk) -> Defect:
    defect = defects_visible_to(user).filter(pk=pk).first()
    if defect is None:
        raise _not_found(_("defect"))
    return defect


def defect_counts(queryset: QuerySet[Defect]) -> dict:
    """A severity x status table of counts, with totals, from one query."""
    # Counted on a column the (project, status, severity) index holds (status is never
    # empty, so this counts rows), not on the key, and grouped in that index's order:
    # PostgreSQL then counts on the index alone, in one ordered pass, instead of visiting
    # every row of a big project and hashing them.
    cells = {
        (row["severity"], row["status"]): row["n"]
        for row in queryset.order_by().values("status", "severity").annotate(n=Count("status"))
    }
    rows = []
    for severity in Severity:
        counts = [cells.get((severity.value, status.value), 0) for status in DefectStatus]
        rows.append({"severity": severity, "counts": counts, "total": sum(counts)})
    totals = [sum(row["counts"][i] for row in rows) for i in range(len(DefectStatus))]
    return {
        "statuses": list(DefectStatus),
        "rows": rows,
        "totals": totals,
        "total": sum(totals),
    }


def my_defects(*, user, project: Project) -> dict[str, list[Defect]]:
    """What concerns me: defects I reported, assigned to me, and fixes awaiting my re-test."""
    defects = defect_list(user=user, project=project)
    awaiting = []
    if policy.can(user, project, Capability.RETEST):
        awaiting = list(defects.filter(status=DefectStatus.FIXED).exclude(fixed_by_id=user.pk))
    return {
        "reported": list(defects.filter(reporter_id=user.pk)),
        "assigned": list(defects.filter(assignee_id=user.pk)),
        "awaiting_retest": awaiting,
    }


def defect_history(*, defect: Defect) -> list[DefectEvent]:
    return list(defect.events.select_related("actor").order_by("at", "pk"))


def defect_comments(*, defect: Defect) -> list[DefectComment]:
    return list(defect.comments.select_related("author").order_by("created_at", "pk"))


def defect_attachments(*, defect: Defect) -> list[Attachment]:
    return list(defect.attachments.select_related("uploaded_by").order_by("uploaded_at", "pk"))


def duplicate_candidates(*, defect: Defect) -> QuerySet[Defect]:
    """Defects this one may duplicate: others of the project that are not duplicates."""
    return (
        Defect.objects.filter(project_id=defect.project_id)
        .exclude(pk=defect.pk)
        .exclude(status=DefectStatus.DUPLICATE)
        .order_by("-number")
    )


def project_members(*, project: Project) -> QuerySet[User]:
    return (
        User.objects.filter(memberships__project=project)
        .order_by("last_name", "first_name", "username")
        .distinct()
    )


def project_cycles(*, project: Project) -> QuerySet[TestCycle]:
    return TestCycle.objects.filter(project=project).order_by("name", "pk")


def comments_visible_to(user) -> QuerySet[DefectComment]:
    return DefectComment.objects.filter(
        defect__project__in=Project.objects.visible_to(user).values("pk")
    ).select_related("author", "defect")


def attachments_visible_to(user) -> QuerySet[Attachment]:
    return Attachment.objects.filter(
        project__in=Project.objects.visible_to(user).values("pk")
    ).select_related("uploaded_by", "defect", "project")


def attachment_get(*, user, pk, project: Project | None = None) -> Attachment:
    """An attachment the user may download; through a project's URL, only that project's."""
    queryset = attachments_visible_to(user)
    if project is not None:
        queryset = queryset.filter(project=project)
    attachment = queryset.filter(pk=pk).first()
    if attachment is None:
        raise _not_found(_("attachment"))
    return attachment


def open_filter() -> Q:
    from uat.choices import OPEN_STATUSES

    return Q(status__in=OPEN_STATUSES)
