"""API of go-live readiness and the go-live plan, both by project code.

GET /readiness/{code}/ is the readiness panel (implementation.readiness.panel): the seven
go/no-go criteria computed from the project's own data, each green or red with its numbers
and, when red, the reasons in words; the rows behind them (blocking and deferred defects,
data objects, cutover tasks, the last rehearsal, the hypercare team, KPIs without a
baseline, UAT sign-offs); training coverage per department; and `ready` overall. Nobody
ticks readiness by hand, so it is read-only.

GET /go-live-plans/{code}/ reads the plan (the defaults while it was never saved); PATCH
changes it and needs manage_go_live (the project manager).

Outsiders get 404; a member whose role does not allow the change gets 403 before the input
is read; bad input is a 400 with field keys.
"""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from implementation.api.golive_migration import LoadKindField, percent_field
from implementation.choices import Reconciliation, RehearsalOutcome
from implementation.golive_rules import total_coverage
from implementation.models import GoLivePlan
from implementation.readiness import panel
from implementation.services import golive as services
from kpis.api.kpis import body_of
from projects import policy
from projects.api.fields import SafeDateTimeField
from projects.choices import Department, Role
from projects.models import Project
from projects.policy import Capability, declare
from projects.selectors import project_get
from uat.choices import DefectStatus, Severity, SignoffStatus

READINESS_POLICY = "project members read the readiness panel; it is computed, never written"
PLAN_POLICY = "project members read the go-live plan; changing it needs manage_go_live"

NUMBER_OR_TEXT = {"oneOf": [{"type": "integer"}, {"type": "string"}]}


# --- Output: readiness ----------------------------------------------------------------------


@extend_schema_field(NUMBER_OR_TEXT)
class NumberOrTextField(serializers.Field):
    """A criterion's figure: a count, or a percentage as text ("92.5")."""

    def to_representation(self, value):
        return value


class ReadinessCriterionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    met = serializers.BooleanField()
    actual = NumberOrTextField()
    threshold = NumberOrTextField()
    reasons = serializers.ListField(
        child=serializers.CharField(), help_text=gettext_lazy("Why it is red; empty when green.")
    )


class CoverageSerializer(serializers.Serializer):
    department = serializers.ChoiceField(choices=Department.choices)
    department_label = serializers.CharField()
    planned = serializers.IntegerField(help_text=gettext_lazy("End users of the department."))
    trained = serializers.IntegerField(
        help_text=gettext_lazy("Of them, those who attended at least one session.")
    )
    percent = serializers.DecimalField(max_digits=4, decimal_places=1)
    met = serializers.BooleanField()


class CoverageTotalSerializer(serializers.Serializer):
    planned = serializers.IntegerField()
    trained = serializers.IntegerField()
    percent = serializers.DecimalField(max_digits=4, decimal_places=1)


class TrainingSerializer(serializers.Serializer):
    threshold = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        help_text=gettext_lazy("Share of each department's end users who must be trained."),
    )
    departments = CoverageSerializer(many=True)
    total = CoverageTotalSerializer()


class BlockingDefectSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    severity = serializers.ChoiceField(choices=Severity.choices)
    status = serializers.ChoiceField(choices=DefectStatus.choices)


class DeferredDefectSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    severity = serializers.ChoiceField(choices=Severity.choices)
    reason = serializers.CharField()
    workaround = serializers.CharField()
    target_date = serializers.DateField(allow_null=True)


class MigrationRowSerializer(serializers.Serializer):
    name = serializers.CharField()
    owner = serializers.CharField()
    load = serializers.IntegerField(
        allow_null=True, help_text=gettext_lazy("Number of the last load; null before any.")
    )
    kind = LoadKindField(allow_null=True)
    reconciliation = serializers.ChoiceField(choices=Reconciliation.choices, allow_null=True)
    signed_off = serializers.BooleanField()
    source = serializers.IntegerField(allow_null=True)
    loaded = serializers.IntegerField(allow_null=True)
    rejected = serializers.IntegerField(allow_null=True)


class CutoverRowSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    owner = serializers.CharField(allow_null=True)
    planned_start = serializers.DateTimeField(allow_null=True)
    duration_minutes = serializers.IntegerField(allow_null=True)


class RehearsalRowSerializer(serializers.Serializer):
    held_on = serializers.DateField()
    outcome = serializers.ChoiceField(choices=RehearsalOutcome.choices)


class HypercareMemberSerializer(serializers.Serializer):
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    department = serializers.ChoiceField(choices=Department.choices)


class KpiRowSerializer(serializers.Serializer):
    pk = serializers.IntegerField()
    name = serializers.CharField()


class SignoffRowSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=SignoffStatus.choices)
    snapshot_hash = serializers.CharField()


class ReadinessSerializer(serializers.Serializer):
    project = serializers.CharField()
    ready = serializers.BooleanField(help_text=gettext_lazy("Every criterion is met."))
    criteria = ReadinessCriterionSerializer(many=True)
    training = TrainingSerializer()
    blocking_defects = BlockingDefectSerializer(many=True)
    deferred_defects = DeferredDefectSerializer(
        many=True, help_text=gettext_lazy("They do not block; every signatory sees them.")
    )
    migration = MigrationRowSerializer(many=True)
    cutover_tasks = CutoverRowSerializer(many=True)
    rehearsal = RehearsalRowSerializer(
        allow_null=True, help_text=gettext_lazy("The latest rehearsal.")
    )
    hypercare_team = HypercareMemberSerializer(many=True)
    kpis_without_baseline = KpiRowSerializer(many=True)
    uat_signoffs = SignoffRowSerializer(many=True)


def readiness_of(project: Project) -> dict:
    found = panel(project)
    facts = found.facts
    total = total_coverage(facts.coverage)
    return {
        "project": project.code,
        "ready": found.ready,
        "criteria": [
            {
                "key": criterion.key,
                "label": criterion.label,
                "met": criterion.met,
                "actual": criterion.actual,
                "threshold": criterion.threshold,
                "reasons": reasons,
            }
            for criterion, reasons in found.rows
        ],
        "training": {
            "threshold": facts.training_threshold,
            "departments": [
                {
                    "department": row.department,
                    "department_label": str(Department(row.department).label),
                    "planned": row.planned,
                    "trained": row.trained,
                    "percent": row.percent,
                    "met": row.meets(facts.training_threshold),
                }
                for row in facts.coverage
            ],
            "total": {"planned": total.planned, "trained": total.trained, "percent": total.percent},
        },
        "blocking_defects": found.blocking_defects,
        "deferred_defects": found.deferred_defects,
        "migration": found.migration,
        "cutover_tasks": found.cutover_tasks,
        "rehearsal": found.rehearsal,
        "hypercare_team": found.hypercare_team,
        "kpis_without_baseline": found.kpis_without_baseline,
        "uat_signoffs": found.uat_signoffs,
    }


# --- Go-live plan ---------------------------------------------------------------------------


class GoLivePlanSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    updated_by = serializers.CharField(
        source="updated_by.username", read_only=True, allow_null=True
    )
    updated_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("Null while the plan still has its defaults."),
    )

    class Meta:
        model = GoLivePlan
        fields = [
            "project",
            "training_threshold",
            "legacy_freeze_at",
            "rollback_decision_at",
            "rollback_criteria",
            "support_plan",
            "updated_by",
            "updated_at",
        ]
        read_only_fields = fields


class GoLivePlanUpdateSerializer(serializers.Serializer):
    training_threshold = percent_field(
        help_text=gettext_lazy("Share of each department's end users who must be trained (%).")
    )
    legacy_freeze_at = SafeDateTimeField(
        allow_null=True,
        help_text=gettext_lazy("From then on nobody enters data in the old system."),
    )
    rollback_decision_at = SafeDateTimeField(
        allow_null=True,
        help_text=gettext_lazy("The last moment to decide to go back; after the freeze."),
    )
    rollback_criteria = serializers.CharField(allow_blank=True)
    support_plan = serializers.CharField(allow_blank=True)


# --- The viewsets ---------------------------------------------------------------------------


class _ByProjectCode(viewsets.GenericViewSet):
    lookup_field = "code"
    lookup_value_regex = "[A-Za-z0-9-]+"
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):  # only for the schema; reads go through project_get
        return Project.objects.none()

    def _project(self, code: str) -> Project:
        return project_get(user=self.request.user, code=code.upper())


@declare(READINESS_POLICY)
class ReadinessViewSet(_ByProjectCode):
    """Go-live readiness of a project, computed from its data."""

    serializer_class = ReadinessSerializer

    @extend_schema(responses={200: ReadinessSerializer})
    def retrieve(self, request, code=None):
        project = self._project(code)
        return Response(ReadinessSerializer(readiness_of(project)).data)


@declare(PLAN_POLICY)
class GoLivePlanViewSet(_ByProjectCode):
    """A project's go-live plan: training threshold, legacy freeze, rollback criteria and
    decision point, support plan."""

    serializer_class = GoLivePlanSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def _reply(self, project: Project) -> Response:
        plan = services.golive_plan_of(project)
        return Response(GoLivePlanSerializer(plan).data)

    @extend_schema(responses={200: GoLivePlanSerializer})
    def retrieve(self, request, code=None):
        return self._reply(self._project(code))

    @extend_schema(request=GoLivePlanUpdateSerializer, responses={200: GoLivePlanSerializer})
    def partial_update(self, request, code=None):
        """Change the plan; the rollback decision point comes after the freeze."""
        project = self._project(code)
        policy.ensure(request.user, project, Capability.MANAGE_GO_LIVE)
        serializer = GoLivePlanUpdateSerializer(data=body_of(request), partial=True)
        serializer.is_valid(raise_exception=True)
        services.golive_plan_update(
            actor=request.user, project=project, **serializer.validated_data
        )
        return self._reply(project)


def register(router) -> None:
    """Add this area's viewsets to the API router."""
    router.register("readiness", ReadinessViewSet, basename="readiness")
    router.register("go-live-plans", GoLivePlanViewSet, basename="go-live-plan")
