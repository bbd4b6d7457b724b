"""One FilterSet per list, shared by pages and the API."""

import django_filters
from django import forms
from django.db.models import Q, Subquery
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES

from projects.choices import Department, ProjectStatus, Role, SystemKind
from projects.models import Membership, Project


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    status = django_filters.ChoiceFilter(
        choices=ProjectStatus.choices, label=_("Status"), empty_label=_("All statuses")
    )
    system_kind = django_filters.ChoiceFilter(
        choices=SystemKind.choices, label=_("System"), empty_label=_("All systems")
    )

    class Meta:
        model = Project
        fields = ["q", "status", "system_kind"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value)
            | Q(code__icontains=value)
            | Q(client_organisation__icontains=value)
            | Q(target_product__icontains=value)
        )


class MembershipFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code", label=_("Project code"))
    role = django_filters.ChoiceFilter(choices=Role.choices, label=_("Role"))
    department = django_filters.ChoiceFilter(choices=Department.choices, label=_("Department"))
    user = django_filters.CharFilter(field_name="user__username", label=_("Username"))

    class Meta:
        model = Membership
        fields = ["project", "role", "department", "user"]


MAX_PK = 2**63 - 1  # BigAutoField


class ProjectCodeFilter(django_filters.CharFilter):
    """A project by its code, in any case. Codes are stored in capitals, so the upper-cased
    value matched exactly finds what `iexact` finds, but through the code's unique index: the
    database starts from that one project and reads a page of its rows in index order,
    instead of case-folding the joined code of every row of every visible project."""

    def __init__(self, *args, field_name="project__code", **kwargs):
        kwargs.setdefault("label", _("Project code"))
        super().__init__(*args, field_name=field_name, **kwargs)

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        # Compare the key with the project's id as a subquery: the database treats it as a
        # constant, so a project's rows come straight from the (project, ...) indexes in
        # order (a join on the code would make it sort every row of the project first).
        project = Project.objects.filter(code=str(value).upper()).values("pk")[:1]
        return qs.filter(**{self.field_name.removesuffix("__code"): Subquery(project)})


class PkFilter(django_filters.NumberFilter):
    """A primary key: a whole number in range. A decimal such as 1e30 or a 30-digit number
    would reach the database as such and fail there (a 500) instead of being a bad filter."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_PK)
        super().__init__(*args, **kwargs)
