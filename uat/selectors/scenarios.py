"""Reads of UAT test scenarios, scoped to what the asking user may see, and their one FilterSet
(shared by the list page, its exports and the API).

Lists load the configuration change with a join and count the steps in the same query, so a
page costs the same whatever its length; the API prefetches the steps in one more query.
"""

import django_filters
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from projects import policy
from projects.choices import Department
from projects.filters import ProjectCodeFilter
from projects.models import Project
from uat.choices import Priority
from uat.models import ScenarioStep, TestScenario


class ScenarioFilter(django_filters.FilterSet):
    """Filters of the scenario list. Pages pass `project=`, so the project filter goes."""

    q = django_filters.CharFilter(method="filter_search", label=gettext_lazy("Search"))
    project = ProjectCodeFilter(label=gettext_lazy("Project code"))
    module = django_filters.CharFilter(
        lookup_expr="icontains", label=gettext_lazy("Business process or module")
    )
    department = django_filters.ChoiceFilter(
        choices=Department.choices,
        label=gettext_lazy("Department"),
        empty_label=gettext_lazy("All departments"),
    )
    priority = django_filters.ChoiceFilter(
        choices=Priority.choices,
        label=gettext_lazy("Priority"),
        empty_label=gettext_lazy("All priorities"),
    )

    class Meta:
        model = TestScenario
        fields = ["q", "project", "module", "department", "priority"]

    def __init__(self, data=None, queryset=None, *, project: Project | None = None, **kwargs):
        super().__init__(data, queryset, **kwargs)
        if project is not None:
            self.filters.pop("project")

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(code__icontains=value)
            | Q(title__icontains=value)
            | Q(module__icontains=value)
            | Q(preconditions__icontains=value)
            | Q(requirement_reference__icontains=value)
        )


def _ensure_visible(user, project: Project) -> None:
    if not policy.can_see(user, project):
        raise Http404(_("No project matches the given query."))


def _ordered_steps() -> Prefetch:
    return Prefetch("steps", queryset=ScenarioStep.objects.order_by("position"))


def scenario_list(*, user, project: Project) -> QuerySet[TestScenario]:
    """The scenarios of a project the user can see, by code, each with its number of steps."""
    _ensure_visible(user, project)
    return (
        TestScenario.objects.filter(project=project)
        .select_related("configuration_change")
        .annotate(step_count=Count("steps"))
        .order_by("code")
    )


def scenario_export_list(*, user, project: Project) -> QuerySet[TestScenario]:
    """The scenarios of a visible project, by code, for exports (steps fetched in chunks)."""
    _ensure_visible(user, project)
    return TestScenario.objects.filter(project=project).order_by("code")


def scenario_get(*, user, project: Project, pk: int) -> TestScenario:
    """One scenario of a visible project, with its steps in order; 404 for everyone else."""
    _ensure_visible(user, project)
    scenario = (
        TestScenario.objects.filter(project=project, pk=pk)
        .select_related("project", "configuration_change")
        .prefetch_related(_ordered_steps())
        .first()
    )
    if scenario is None:
        raise Http404(_("No test scenario matches the given query."))
    return scenario


def scenarios_visible_to(user) -> QuerySet[TestScenario]:
    """Scenarios of every project the user can see (for the API), by project then code."""
    return (
        TestScenario.objects.filter(project__in=Project.objects.visible_to(user).values("pk"))
        .select_related("project", "configuration_change")
        .prefetch_related(_ordered_steps())
        .order_by("project__code", "code")
    )


def scenario_get_by_pk(*, user, pk: int) -> TestScenario:
    scenario = scenarios_visible_to(user).filter(pk=pk).first()
    if scenario is None:
        raise Http404(_("No test scenario matches the given query."))
    return scenario
