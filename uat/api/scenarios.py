"""API of UAT test scenarios: list, read, write and change, steps included.

Doors onto the same selectors and services as the pages. Input names the project by its code
and a configuration change by its number in the project's log; steps are a list of
{action, expected_result}, and a list given replaces all of the scenario's steps.
"""

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from implementation.api.configuration import ProjectEntryField
from projects import policy
from projects.choices import Department
from projects.policy import Capability, declare
from projects.selectors import project_get
from uat.choices import Priority
from uat.models import ScenarioStep, TestScenario
from uat.selectors import scenarios as selectors
from uat.selectors.scenarios import ScenarioFilter
from uat.services import scenarios as services

POLICY = "project members read test scenarios; writing needs manage_tests"


class StepSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScenarioStep
        fields = ["position", "action", "expected_result"]
        read_only_fields = fields


class TestScenarioSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="code", read_only=True)
    configuration_change = serializers.SlugRelatedField(
        slug_field="number",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("Number of the configuration change this scenario tests."),
    )
    steps = StepSerializer(many=True, read_only=True)

    class Meta:
        model = TestScenario
        fields = [
            "pk",
            "project",
            "code",
            "title",
            "module",
            "department",
            "priority",
            "preconditions",
            "requirement_reference",
            "configuration_change",
            "steps",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class StepInputSerializer(serializers.Serializer):
    action = serializers.CharField()
    expected_result = serializers.CharField()


class TestScenarioUpdateSerializer(serializers.Serializer):
    """Fields to change; `steps`, when given, replaces every step."""

    code = serializers.CharField(max_length=30)
    title = serializers.CharField(max_length=200)
    module = serializers.CharField(max_length=120)
    department = serializers.ChoiceField(choices=Department.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    preconditions = serializers.CharField(allow_blank=True)
    requirement_reference = serializers.CharField(max_length=120, allow_blank=True)
    configuration_change = ProjectEntryField(
        allow_null=True,
        help_text=gettext_lazy("Number of an entry of the project's configuration log."),
    )
    steps = StepInputSerializer(many=True, allow_empty=False)


class TestScenarioCreateSerializer(TestScenarioUpdateSerializer):
    """A new scenario; the project (in the context) scopes the configuration change."""

    project = serializers.CharField(help_text=gettext_lazy("The project's code."))
    department = serializers.ChoiceField(choices=Department.choices, default=Department.OTHER)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.MEDIUM)
    preconditions = serializers.CharField(allow_blank=True, required=False, default="")
    requirement_reference = serializers.CharField(
        max_length=120, allow_blank=True, required=False, default=""
    )
    configuration_change = ProjectEntryField(
        allow_null=True,
        required=False,
        default=None,
        help_text=gettext_lazy("Number of an entry of the project's configuration log."),
    )


def _steps(data) -> list[tuple[str, str]]:
    return [(step["action"], step["expected_result"]) for step in data]


@declare(POLICY)
class TestScenarioViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Test scenarios of the projects you belong to. Filter with ?project=CODE."""

    lookup_value_regex = r"\d+"  # anything else is a 404, never a 500

    serializer_class = TestScenarioSerializer
    filterset_class = ScenarioFilter
    ordering_fields = ["code", "title", "priority", "updated_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.scenarios_visible_to(self.request.user)

    def get_object(self):
        return selectors.scenario_get_by_pk(user=self.request.user, pk=self.kwargs["pk"])

    def _project_to_manage(self, data):
        """The project named in the body, checked before the rest of the input is read."""
        code = data.get("project") if hasattr(data, "get") else None
        if not isinstance(code, str) or not code:
            raise serializers.ValidationError({"project": [_("This field is required.")]})
        try:
            project = project_get(user=self.request.user, code=code.strip().upper())
        except Http404 as error:
            # Same answer whether the project is missing or hidden: existence must not leak.
            raise serializers.ValidationError({"project": [_("No such project.")]}) from error
        policy.ensure(self.request.user, project, Capability.MANAGE_TESTS)
        return project

    def _respond(self, scenario, status_code=status.HTTP_200_OK) -> Response:
        scenario = selectors.scenario_get_by_pk(user=self.request.user, pk=scenario.pk)
        return Response(TestScenarioSerializer(scenario).data, status=status_code)

    @extend_schema(request=TestScenarioCreateSerializer, responses={201: TestScenarioSerializer})
    def create(self, request):
        project = self._project_to_manage(request.data)
        serializer = TestScenarioCreateSerializer(data=request.data, context={"project": project})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("project")
        steps = _steps(data.pop("steps"))
        scenario = services.scenario_create(
            actor=request.user, project=project, steps=steps, **data
        )
        return self._respond(scenario, status.HTTP_201_CREATED)

    @extend_schema(request=TestScenarioUpdateSerializer, responses={200: TestScenarioSerializer})
    def partial_update(self, request, pk=None):
        scenario = self.get_object()
        # A member who may not write learns that before anything about their input.
        policy.ensure(request.user, scenario.project, Capability.MANAGE_TESTS)
        serializer = TestScenarioUpdateSerializer(
            data=request.data, partial=True, context={"project": scenario.project}
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        steps = (
            _steps(data.pop("steps"))
            if "steps" in data
            else [(step.action, step.expected_result) for step in scenario.steps.all()]
        )
        current = {
            field: getattr(scenario, field)
            for field in (
                "code",
                "title",
                "module",
                "department",
                "priority",
                "preconditions",
                "requirement_reference",
                "configuration_change",
            )
        }
        scenario = services.scenario_update(
            actor=request.user, scenario=scenario, steps=steps, **(current | data)
        )
        return self._respond(scenario)


def register(router) -> None:
    """Add this area's viewsets to the API router."""
    router.register("test-scenarios", TestScenarioViewSet, basename="test-scenario")
