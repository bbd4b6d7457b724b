"""API of KPIs: doors onto the same selectors and services as the pages.

A KPI read carries its computed figures (kpis.selectors.figures: latest value, progress,
expected progress, status, next measurement due) and an `explanation` with the numbers
behind progress, so a client can show how it is computed. KPIs are defined and changed
with manage_kpis; the baseline has its own action: before go-live manage_kpis, from go-live
on unlock_baseline with a reason. Every recording or change of a baseline is in `history`.

Outsiders get 404 for anything of a project they do not belong to; a member whose role
does not allow the action gets 403 before the rest of the input is read; bad input is a
400 with field keys. No PUT, no DELETE.
"""

import django_filters
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from implementation.choices import PhaseKind
from implementation.models import Phase
from kpis import catalogue, selectors, services
from kpis.choices import Cadence, Direction, KpiCategory, KpiStatus
from kpis.models import DIGITS as VALUE
from kpis.models import LARGEST_VALUE, BaselineChange, Kpi
from projects import policy
from projects.api.fields import ProjectMemberField
from projects.filters import ProjectCodeFilter
from projects.policy import Capability, declare
from projects.selectors import project_get

POLICY = (
    "project members read KPIs, their history and the template catalogue; defining and "
    "changing KPIs needs manage_kpis, a baseline from go-live on unlock_baseline"
)
FORMULA = "(latest - baseline) / (target - baseline)"


# --- Shared helpers (also used by the measurements API) -----------------------------------


def body_of(request) -> dict:
    """The request's body as a mapping; a list or a bare value is a 400."""
    data = request.data
    if not hasattr(data, "get"):
        raise serializers.ValidationError({"non_field_errors": [_("Send an object.")]})
    return data


def project_for_writing(user, code):
    """The project named in the input: 400 when missing or not visible, like the other APIs."""
    if not isinstance(code, str) or not code.strip():
        raise serializers.ValidationError({"project": [_("This field is required.")]})
    try:
        return project_get(user=user, code=code.strip().upper())
    except Http404 as error:
        raise serializers.ValidationError({"project": [_("No such project.")]}) from error


def with_figures(kpi: Kpi) -> Kpi:
    """Compute the KPI's figures once per read (no queries for a KPI from the selectors)."""
    if not hasattr(kpi, "api_figures"):
        kpi.api_figures = selectors.figures(kpi)
    return kpi


# --- Filters ------------------------------------------------------------------------------


class KpiFilter(django_filters.FilterSet):
    project = ProjectCodeFilter(label=gettext_lazy("Project code"))
    category = django_filters.ChoiceFilter(
        choices=KpiCategory.choices, label=gettext_lazy("Category")
    )
    # Declared last: it runs on what the other filters left.
    status = django_filters.ChoiceFilter(
        choices=KpiStatus.choices,
        method="filter_status",
        label=gettext_lazy("Status (computed)"),
    )

    class Meta:
        model = Kpi
        fields = ["project", "category", "status"]

    def filter_status(self, queryset, name, value):
        # The status is computed, never stored: read the candidates once, keep the matches.
        # One more query, whatever the number of KPIs; KPIs per project are few.
        kept = [kpi.pk for kpi in queryset if with_figures(kpi).api_figures.status == value]
        return queryset.filter(pk__in=kept)


# --- Output -------------------------------------------------------------------------------


class ExplanationSerializer(serializers.Serializer):
    """The numbers behind progress: how far the latest value has come from the baseline
    (covered) out of the way from the baseline to the target (way)."""

    formula = serializers.CharField()
    direction = serializers.ChoiceField(choices=Direction.choices)
    baseline = serializers.DecimalField(**VALUE, allow_null=True)
    baseline_date = serializers.DateField(allow_null=True)
    target = serializers.DecimalField(**VALUE)
    target_date = serializers.DateField()
    latest = serializers.DecimalField(**VALUE, allow_null=True)
    latest_on = serializers.DateField(allow_null=True)
    covered = serializers.DecimalField(
        max_digits=None,
        decimal_places=4,
        allow_null=True,
        help_text=gettext_lazy("latest - baseline"),
    )
    way = serializers.DecimalField(
        max_digits=None,
        decimal_places=4,
        allow_null=True,
        help_text=gettext_lazy("target - baseline"),
    )
    trajectory_today = serializers.DecimalField(
        max_digits=None,
        decimal_places=4,
        allow_null=True,
        help_text=gettext_lazy("The value on the straight line from baseline to target today."),
    )


def explanation(kpi: Kpi) -> dict:
    found = with_figures(kpi).api_figures
    baseline, latest = kpi.baseline_value, found.latest_value
    return {
        "formula": FORMULA,
        "direction": kpi.direction,
        "baseline": baseline,
        "baseline_date": kpi.baseline_date,
        "target": kpi.target_value,
        "target_date": kpi.target_date,
        "latest": latest,
        "latest_on": found.latest_on,
        "covered": None if baseline is None or latest is None else latest - baseline,
        "way": None if baseline is None else kpi.target_value - baseline,
        "trajectory_today": found.trajectory_today,
    }


class KpiSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    owner = serializers.CharField(source="owner.username", read_only=True)
    phase = serializers.ChoiceField(
        source="phase.kind", choices=PhaseKind.choices, read_only=True, allow_null=True
    )
    baseline_locked = serializers.SerializerMethodField()
    latest_value = serializers.DecimalField(
        **VALUE, source="api_figures.latest_value", read_only=True, allow_null=True
    )
    latest_on = serializers.DateField(
        source="api_figures.latest_on", read_only=True, allow_null=True
    )
    progress = serializers.DecimalField(
        max_digits=None,
        decimal_places=4,
        source="api_figures.progress",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy(
            "Share of the way from baseline to target covered by the latest value (uncapped)."
        ),
    )
    expected = serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        source="api_figures.expected",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("Progress expected on the date of the latest measurement."),
    )
    status = serializers.ChoiceField(
        choices=KpiStatus.choices, source="api_figures.status", read_only=True
    )
    next_due = serializers.DateField(source="api_figures.next_due", read_only=True, allow_null=True)
    overdue_periods = serializers.IntegerField(source="api_figures.overdue_periods", read_only=True)
    explanation = serializers.SerializerMethodField()

    class Meta:
        model = Kpi
        fields = [
            "pk",
            "project",
            "name",
            "description",
            "category",
            "unit",
            "direction",
            "baseline_value",
            "baseline_date",
            "baseline_method",
            "baseline_locked",
            "target_value",
            "target_date",
            "owner",
            "cadence",
            "module",
            "phase",
            "template_key",
            "latest_value",
            "latest_on",
            "progress",
            "expected",
            "status",
            "next_due",
            "overdue_periods",
            "explanation",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        return super().to_representation(with_figures(instance))

    def get_baseline_locked(self, kpi) -> bool:
        """From the project's go-live on, only the project manager changes the baseline."""
        return services.baseline_is_locked(kpi.project)

    @extend_schema_field(ExplanationSerializer)
    def get_explanation(self, kpi):
        return ExplanationSerializer(explanation(kpi)).data


class BaselineChangeSerializer(serializers.ModelSerializer):
    changed_by = serializers.CharField(source="changed_by.username", read_only=True)

    class Meta:
        model = BaselineChange
        fields = [
            "pk",
            "old_value",
            "old_date",
            "old_method",
            "new_value",
            "new_date",
            "new_method",
            "reason",
            "after_go_live",
            "changed_by",
            "changed_at",
        ]
        read_only_fields = fields


class KpiTemplateSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    category = serializers.ChoiceField(choices=KpiCategory.choices)
    unit = serializers.CharField()
    direction = serializers.ChoiceField(choices=Direction.choices)
    cadence = serializers.ChoiceField(choices=Cadence.choices)
    module = serializers.CharField()
    example_baseline = serializers.DecimalField(**VALUE)
    example_target = serializers.DecimalField(**VALUE)
    months = serializers.IntegerField(
        help_text=gettext_lazy("The target date is this many months after go-live.")
    )


# --- Input --------------------------------------------------------------------------------


class ProjectPhaseField(serializers.SlugRelatedField):
    """A phase of the project in the serializer's context, by its kind."""

    default_error_messages = {
        "does_not_exist": gettext_lazy("This project has no {value} phase."),
        "invalid": gettext_lazy("Give a phase kind."),
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="kind", queryset=Phase.objects.none(), **kwargs)

    def get_queryset(self):
        project = self.context.get("project")
        return Phase.objects.filter(project=project) if project else Phase.objects.none()


LARGEST = LARGEST_VALUE


def value_field(**kwargs):
    """A KPI value as stored: 16 digits, 4 after the point."""
    return serializers.DecimalField(**VALUE, min_value=-LARGEST, max_value=LARGEST, **kwargs)


class KpiUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    description = serializers.CharField(allow_blank=True)
    category = serializers.ChoiceField(choices=KpiCategory.choices)
    unit = serializers.CharField(max_length=40)
    direction = serializers.ChoiceField(choices=Direction.choices)
    target_value = value_field()
    target_date = serializers.DateField()
    owner = ProjectMemberField(help_text=gettext_lazy("Username of a team member."))
    cadence = serializers.ChoiceField(choices=Cadence.choices)
    module = serializers.CharField(max_length=120, allow_blank=True)
    phase = ProjectPhaseField(allow_null=True, help_text=gettext_lazy("The phase's kind."))


class KpiCreateSerializer(KpiUpdateSerializer):
    project = serializers.CharField(help_text=gettext_lazy("The project's code."))
    description = serializers.CharField(allow_blank=True, required=False, default="")
    cadence = serializers.ChoiceField(choices=Cadence.choices, default=Cadence.MONTHLY)
    module = serializers.CharField(max_length=120, allow_blank=True, required=False, default="")
    phase = ProjectPhaseField(
        allow_null=True, required=False, default=None, help_text=gettext_lazy("The phase's kind.")
    )
    baseline_value = value_field(required=False, allow_null=True, default=None)
    baseline_date = serializers.DateField(required=False, allow_null=True, default=None)
    baseline_method = serializers.CharField(allow_blank=True, required=False, default="")


class BaselineSerializer(serializers.Serializer):
    value = value_field()
    date = serializers.DateField(help_text=gettext_lazy("When the baseline was measured."))
    method = serializers.CharField(
        allow_blank=True,
        required=False,
        default="",
        help_text=gettext_lazy("How it was measured; empty keeps the current description."),
    )
    reason = serializers.CharField(
        allow_blank=True,
        required=False,
        default="",
        help_text=gettext_lazy("Required from go-live on."),
    )


class AddFromTemplatesSerializer(serializers.Serializer):
    project = serializers.CharField(help_text=gettext_lazy("The project's code."))
    keys = serializers.ListField(
        child=serializers.CharField(max_length=40),
        allow_empty=False,
        max_length=len(catalogue.TEMPLATES),
        help_text=gettext_lazy("Template keys, from GET /kpis/templates/."),
    )


# --- The viewset --------------------------------------------------------------------------


@declare(POLICY)
class KpiViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """KPIs of the projects you belong to, each with its computed figures. Filter with
    ?project=CODE, category and status (computed: on_track, at_risk, ...)."""

    lookup_value_regex = r"\d+"
    serializer_class = KpiSerializer
    filterset_class = KpiFilter
    ordering_fields = ["name", "target_date", "created_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.kpis_visible_to(self.request.user)

    def get_object(self):
        return selectors.kpi_get_by_pk(user=self.request.user, pk=self.kwargs["pk"])

    def _reply(self, kpi, code=status.HTTP_200_OK) -> Response:
        kpi = selectors.kpi_get_by_pk(user=self.request.user, pk=kpi.pk)
        return Response(KpiSerializer(kpi).data, status=code)

    @extend_schema(request=KpiCreateSerializer, responses={201: KpiSerializer})
    def create(self, request):
        """Define a KPI; a baseline given now must be measured before go-live."""
        data = body_of(request)
        project = project_for_writing(request.user, data.get("project"))
        policy.ensure(request.user, project, Capability.MANAGE_KPIS)
        serializer = KpiCreateSerializer(data=data, context={"project": project})
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("project")
        kpi = services.kpi_create(actor=request.user, project=project, **fields)
        return self._reply(kpi, status.HTTP_201_CREATED)

    @extend_schema(request=KpiUpdateSerializer, responses={200: KpiSerializer})
    def partial_update(self, request, pk=None):
        """Change what the KPI is and aims at; the baseline has its own action."""
        kpi = self.get_object()
        policy.ensure(request.user, kpi.project, Capability.MANAGE_KPIS)
        serializer = KpiUpdateSerializer(
            data=body_of(request), partial=True, context={"project": kpi.project}
        )
        serializer.is_valid(raise_exception=True)
        kpi = services.kpi_update(actor=request.user, kpi=kpi, **serializer.validated_data)
        return self._reply(kpi)

    @extend_schema(request=BaselineSerializer, responses={200: KpiSerializer})
    @action(detail=True, methods=["post"])
    def baseline(self, request, pk=None):
        """Record or change the baseline: before go-live with manage_kpis; from go-live on
        only the project manager (unlock_baseline) with a `reason`. Kept in `history`."""
        kpi = self.get_object()
        project = kpi.project
        locked = services.baseline_is_locked(project)
        needed = Capability.UNLOCK_BASELINE if locked else Capability.MANAGE_KPIS
        policy.ensure(request.user, project, needed)
        serializer = BaselineSerializer(data=body_of(request))
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        try:
            kpi = services.kpi_set_baseline(
                actor=request.user,
                kpi=kpi,
                value=fields["value"],
                day=fields["date"],
                method=fields["method"],
                reason=fields["reason"],
            )
        except ValidationError as error:
            # The service names the date `day`; the API calls it `date`.
            raise ValidationError(
                {("date" if key == "day" else key): v for key, v in error.message_dict.items()}
            ) from None
        return self._reply(kpi)

    @extend_schema(responses={200: BaselineChangeSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def history(self, request, pk=None):
        """Every recording or change of the baseline, oldest first: old and new, who,
        when, why, and whether it was after go-live."""
        changes = selectors.baseline_history(user=request.user, kpi=self.get_object())
        return Response(BaselineChangeSerializer(changes, many=True).data)

    @extend_schema(responses={200: KpiTemplateSerializer(many=True)})
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def templates(self, request):
        """The catalogue of KPI templates, to add with `add-from-templates`."""
        return Response(KpiTemplateSerializer(catalogue.TEMPLATES, many=True).data)

    @extend_schema(request=AddFromTemplatesSerializer, responses={201: KpiSerializer(many=True)})
    @action(
        detail=False,
        methods=["post"],
        url_path="add-from-templates",
        url_name="add-from-templates",
        filter_backends=[],
        pagination_class=None,
    )
    def add_from_templates(self, request):
        """Add KPIs from the catalogue, owned by you, without a baseline yet; templates
        whose KPI the project already has are skipped. Answers with the KPIs added."""
        data = body_of(request)
        project = project_for_writing(request.user, data.get("project"))
        policy.ensure(request.user, project, Capability.MANAGE_KPIS)
        serializer = AddFromTemplatesSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        try:
            created = services.kpis_add_from_templates(
                actor=request.user, project=project, keys=serializer.validated_data["keys"]
            )
        except ValidationError as error:
            raise ValidationError(
                {
                    ("keys" if key == "templates" else key): v
                    for key, v in error.message_dict.items()
                }
            ) from None
        kpis = self.get_queryset().filter(pk__in=[kpi.pk for kpi in created])
        return Response(KpiSerializer(kpis, many=True).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    """Add this area's viewsets to the API router."""
    router.register("kpis", KpiViewSet, basename="kpi")
