"""One FilterSet per list, shared by pages and the API."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

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


class PkFilter(django_filters.NumberFilter):
    """A primary key: a whole number in range. A decimal such as 1e30 or a 30-digit number
    would reach the database as such and fail there (a 500) instead of being a bad filter."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_PK)
        super().__init__(*args, **kwargs)
