"""API of test cycles and test executions.

Doors onto the same selectors and services as the pages. A cycle read carries its status
(uat.selectors.cycles.cycle_status) with the exit criteria. A run names its cycle and the
scenario by pk; a failed run may carry a nested defect, logged in the same transaction.
"""

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from implementation.choices import Environment
from projects import policy
from projects.policy import Capability, declare
from projects.selectors import project_get
from uat.choices import ExecutionResult, Priority, Severity
from uat.models import TestCycle, TestExecution
from uat.selectors import cycles as selectors
from uat.selectors.cycles import CycleFilter, ExecutionFilter
from uat.services import cycles as services
from uat.services import executions as execution_services

CYCLE_POLICY = "project members read test cycles; planning them needs manage_tests"
EXECUTION_POLICY = "project members read test runs; recording one needs run_tests"


class ExitCriterionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    # Wide enough for every threshold a cycle accepts (open-defect limits up to 32767).
    threshold = serializers.DecimalField(max_digits=12, decimal_places=2)
    actual = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    met = serializers.BooleanField()


class CycleStatusSerializer(serializers.Serializer):
    planned = serializers.IntegerField()
    executed = serializers.IntegerField()
    passed = serializers.IntegerField()
    failed = serializers.IntegerField()
    blocked = serializers.IntegerField()
    pass_rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    open_defects = serializers.DictField(child=serializers.IntegerField())
    exit_criteria = ExitCriterionSerializer(many=True)
    all_met = serializers.BooleanField()


class TestCycleSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="code", read_only=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = TestCycle
        fields = [
            "pk",
            "project",
            "name",
            "starts_on",
            "ends_on",
            "environment",
            "entry_criteria",
            "min_pass_rate",
            "max_open_critical",
            "max_open_high",
            "require_all_executed",
            "status",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(CycleStatusSerializer)
    def get_status(self, cycle):
        statuses = self.context.get("statuses") or {}
        found = statuses.get(cycle.pk) or selectors.cycle_status(cycle)
        return CycleStatusSerializer(found).data


class TestCycleUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    environment = serializers.ChoiceField(choices=Environment.choices)
    entry_criteria = serializers.CharField(allow_blank=True)
    min_pass_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100
    )
    max_open_critical = serializers.IntegerField(min_value=0, max_value=32767)
    max_open_high = serializers.IntegerField(min_value=0, max_value=32767)
    require_all_executed = serializers.BooleanField()


class TestCycleCreateSerializer(TestCycleUpdateSerializer):
    project = serializers.CharField(help_text=gettext_lazy("The project's code."))
    environment = serializers.ChoiceField(choices=Environment.choices, default=Environment.TEST)
    entry_criteria = serializers.CharField(allow_blank=True, required=False, default="")
    min_pass_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, default=95
    )
    max_open_critical = serializers.IntegerField(min_value=0, required=False, default=0)
    max_open_high = serializers.IntegerField(min_value=0, required=False, default=0)
    require_all_executed = serializers.BooleanField(required=False, default=True)


@declare(CYCLE_POLICY)
class TestCycleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Test cycles of the projects you belong to, each with its status. Filter with ?project=."""

    lookup_value_regex = r"\d+"
    serializer_class = TestCycleSerializer
    filterset_class = CycleFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.cycles_visible_to(self.request.user)

    def get_object(self):
        return selectors.cycle_get_by_pk(user=self.request.user, pk=self.kwargs["pk"])

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["statuses"] = getattr(self, "_statuses", None)
        return context

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        # One status read for the whole page, not one per cycle.
        self._statuses = selectors.cycle_statuses(page if page is not None else queryset)
        return page

    def _respond(self, cycle, status_code=status.HTTP_200_OK) -> Response:
        cycle = selectors.cycle_get_by_pk(user=self.request.user, pk=cycle.pk)
        return Response(TestCycleSerializer(cycle).data, status=status_code)

    @extend_schema(request=TestCycleCreateSerializer, responses={201: TestCycleSerializer})
    def create(self, request):
        code = request.data.get("project") if hasattr(request.data, "get") else None
        if not isinstance(code, str) or not code:
            raise serializers.ValidationError({"project": [_("This field is required.")]})
        try:
            project = project_get(user=request.user, code=code.strip().upper())
        except Http404 as error:
            raise serializers.ValidationError({"project": [_("No such project.")]}) from error
        policy.ensure(request.user, project, Capability.MANAGE_TESTS)
        serializer = TestCycleCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("project")
        cycle = services.cycle_create(actor=request.user, project=project, **data)
        return self._respond(cycle, status.HTTP_201_CREATED)

    @extend_schema(request=TestCycleUpdateSerializer, responses={200: TestCycleSerializer})
    def partial_update(self, request, pk=None):
        cycle = self.get_object()
        policy.ensure(request.user, cycle.project, Capability.MANAGE_TESTS)
        serializer = TestCycleUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        cycle = services.cycle_update(
            actor=request.user, cycle=cycle, **dict(serializer.validated_data)
        )
        return self._respond(cycle)


# --- Executions ---------------------------------------------------------------------------


class TestExecutionSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    cycle = serializers.IntegerField(source="entry.cycle_id", read_only=True)
    scenario = serializers.IntegerField(source="entry.scenario_id", read_only=True)
    scenario_code = serializers.CharField(source="entry.scenario.code", read_only=True)
    executed_by = serializers.CharField(source="executed_by.username", read_only=True)
    failed_step = serializers.IntegerField(
        source="failed_step.position", read_only=True, allow_null=True
    )
    defects = serializers.SerializerMethodField()

    class Meta:
        model = TestExecution
        fields = [
            "pk",
            "project",
            "cycle",
            "scenario",
            "scenario_code",
            "result",
            "failed_step",
            "actual_result",
            "notes",
            "executed_by",
            "executed_at",
            "defects",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_defects(self, execution):
        """Numbers of the defects logged from this run."""
        return [defect.number for defect in execution.defects.all()]


class DefectInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.MEDIUM)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.MEDIUM)
    description = serializers.CharField(allow_blank=True, required=False, default="")
    steps_to_reproduce = serializers.CharField(allow_blank=True, required=False, default="")
    expected_result = serializers.CharField(allow_blank=True, required=False, default="")
    actual_result = serializers.CharField(allow_blank=True, required=False, default="")


class TestExecutionCreateSerializer(serializers.Serializer):
    cycle = serializers.IntegerField(help_text=gettext_lazy("The test cycle's pk."))
    scenario = serializers.IntegerField(help_text=gettext_lazy("The test scenario's pk."))
    result = serializers.ChoiceField(choices=ExecutionResult.choices)
    actual_result = serializers.CharField(allow_blank=True, required=False, default="")
    notes = serializers.CharField(allow_blank=True, required=False, default="")
    failed_step = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("Position of the step that failed."),
    )
    defect = DefectInputSerializer(required=False, allow_null=True, default=None)


@declare(EXECUTION_POLICY)
class TestExecutionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Runs in the projects you belong to, latest first. Filter with ?project=&cycle=."""

    lookup_value_regex = r"\d+"
    serializer_class = TestExecutionSerializer
    filterset_class = ExecutionFilter
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.executions_visible_to(self.request.user)

    def get_object(self):
        return selectors.execution_get_by_pk(user=self.request.user, pk=self.kwargs["pk"])

    def _cycle(self, data):
        """The cycle named in the body, checked before the rest of the input is read."""
        value = data.get("cycle") if hasattr(data, "get") else None
        try:
            pk = int(value)
        except (TypeError, ValueError) as error:
            raise serializers.ValidationError({"cycle": [_("Give a test cycle's pk.")]}) from error
        try:
            cycle = selectors.cycle_get_by_pk(user=self.request.user, pk=pk)
        except Http404 as error:
            raise serializers.ValidationError({"cycle": [_("No such test cycle.")]}) from error
        policy.ensure(self.request.user, cycle.project, Capability.RUN_TESTS)
        return cycle

    @extend_schema(request=TestExecutionCreateSerializer, responses={201: TestExecutionSerializer})
    def create(self, request):
        cycle = self._cycle(request.data)
        serializer = TestExecutionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        scenario = cycle.project.test_scenarios.filter(pk=data["scenario"]).first()
        if scenario is None:
            raise serializers.ValidationError(
                {"scenario": [_("This scenario is not in the cycle's scope.")]}
            )
        entry = execution_services.entry_in_scope(cycle=cycle, scenario=scenario)
        failed_step = None
        if data["failed_step"] is not None:
            failed_step = scenario.steps.filter(position=data["failed_step"]).first()
            if failed_step is None:
                raise serializers.ValidationError(
                    {"failed_step": [_("This scenario has no such step.")]}
                )
        execution = execution_services.execution_record(
            actor=request.user,
            entry=entry,
            result=data["result"],
            actual_result=data["actual_result"],
            notes=data["notes"],
            failed_step=failed_step,
            defect=dict(data["defect"]) if data["defect"] else None,
        )
        execution = selectors.execution_get_by_pk(user=request.user, pk=execution.pk)
        return Response(TestExecutionSerializer(execution).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    """Add this area's viewsets to the API router."""
    router.register("test-cycles", TestCycleViewSet, basename="test-cycle")
    router.register("test-executions", TestExecutionViewSet, basename="test-execution")
