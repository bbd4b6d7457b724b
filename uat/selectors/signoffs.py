"""Reads of sign-offs, scoped to the asking user."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from projects import policy
from projects.models import Project
from uat.models import Signatory, Signature, SignOff


def _ensure_visible(user, project: Project) -> None:
    if not policy.can_see(user, project):
        raise Http404(_("No project matches the given query."))


def _with_people(queryset: QuerySet[SignOff]) -> QuerySet[SignOff]:
    return queryset.select_related(
        "project", "cycle", "phase", "requested_by", "created_by", "pdf"
    ).prefetch_related(
        Prefetch("signatories", queryset=Signatory.objects.select_related("user")),
        Prefetch("signatures", queryset=Signature.objects.select_related("signatory", "user")),
    )


def signoff_list(*, user, project: Project) -> QuerySet[SignOff]:
    """The project's sign-offs, newest first, with signatories, signatures and PDF state."""
    _ensure_visible(user, project)
    return _with_people(SignOff.objects.filter(project=project)).order_by("-number")


def signoff_get(*, user, project: Project, number: int) -> SignOff:
    _ensure_visible(user, project)
    signoff = _with_people(SignOff.objects.filter(project=project, number=number)).first()
    if signoff is None:
        raise Http404(_("No sign-off matches the given query."))
    signoff.project = project  # keep the project with its cached role
    return signoff


def signoffs_visible_to(user) -> QuerySet[SignOff]:
    """Sign-offs of every project the user can see (for the API)."""
    return _with_people(
        SignOff.objects.filter(project__in=Project.objects.visible_to(user).values("pk"))
    ).order_by("project__code", "-number")


def signoff_get_by_pk(*, user, pk: int) -> SignOff:
    signoff = signoffs_visible_to(user).filter(pk=pk).first()
    if signoff is None:
        raise Http404(_("No sign-off matches the given query."))
    return signoff
