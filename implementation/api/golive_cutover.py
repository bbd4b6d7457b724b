"""API of the cutover plan: its ordered tasks with dependencies, the run-sheet moves, and
the dress rehearsals.

Dependencies are given and shown as task numbers of the same project (the N of T-N), the
numbers people use on the run-sheet and that the cycle message spells out; they never
change, unlike the order. A task never depends on itself or on a task that depends on it,
however indirectly: such a plan is a 400 naming the cycle.

The plan and rehearsals are written with manage_cutover; a task is moved on the run-sheet
by a cutover manager or by its owner. Outsiders get 404 for anything of a project they do
not belong to; a member whose role does not allow the action gets 403 before the rest of
the input is read; bad input is a 400 with field keys. No PUT, no DELETE.
"""

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from implementation.api.golive_migration import (
    LARGEST_COUNT,
    enum_field,
    first_or_404,
    project_filter,
    visible,
)
from implementation.choices import CutoverStatus, RehearsalOutcome
from implementation.models import CutoverRehearsal, CutoverTask
from implementation.models.cutover import LONGEST_TASK_MINUTES
from implementation.services import cutover as services
from kpis.api.kpis import body_of, project_for_writing
from projects import policy
from projects.api.fields import ProjectMemberField, SafeDateTimeField
from projects.policy import Capability, declare

POLICY = (
    "project members read the cutover plan and rehearsals; writing them needs "
    "manage_cutover; a task's owner also moves their own task on the run-sheet"
)
MAX_DEPENDENCIES = 200
CutoverStatusField = enum_field(CutoverStatus, "CutoverStatusEnum")


# --- Selectors ------------------------------------------------------------------------------


def tasks_visible_to(user) -> QuerySet[CutoverTask]:
    """Cutover tasks of the user's projects, in the plan's order, with their dependencies."""
    return (
        visible(CutoverTask.objects.all(), user)
        .select_related("project", "owner", "created_by")
        .prefetch_related(Prefetch("depends_on", queryset=CutoverTask.objects.only("pk", "number")))
        .order_by("project__code", "position", "number")
    )


def rehearsals_visible_to(user) -> QuerySet[CutoverRehearsal]:
    """Rehearsals of the user's projects, latest first."""
    return (
        visible(CutoverRehearsal.objects.all(), user)
        .select_related("project", "recorded_by")
        .order_by("project__code", "-held_on", "-pk")
    )


def tasks_by_number(project, numbers: list[int]) -> list[CutoverTask]:
    """The project's tasks with these numbers; an unknown number is a 400 on depends_on."""
    wanted = set(numbers)
    tasks = list(CutoverTask.objects.filter(project=project, number__in=wanted))
    unknown = sorted(wanted - {task.number for task in tasks})
    if unknown:
        raise serializers.ValidationError(
            {
                "depends_on": [
                    _("This plan has no task %(numbers)s.")
                    % {"numbers": ", ".join(f"T-{number}" for number in unknown)}
                ]
            }
        )
    return tasks


# --- Filters --------------------------------------------------------------------------------


class CutoverTaskFilter(django_filters.FilterSet):
    project = project_filter()
    status = django_filters.ChoiceFilter(
        choices=CutoverStatus.choices, label=gettext_lazy("Status")
    )
    owner = django_filters.CharFilter(
        field_name="owner__username", label=gettext_lazy("Owner's username")
    )

    class Meta:
        model = CutoverTask
        fields = ["project", "status", "owner"]


class CutoverRehearsalFilter(django_filters.FilterSet):
    project = project_filter()
    outcome = django_filters.ChoiceFilter(
        choices=RehearsalOutcome.choices, label=gettext_lazy("Outcome")
    )

    class Meta:
        model = CutoverRehearsal
        fields = ["project", "outcome"]


# --- Output ---------------------------------------------------------------------------------


class CutoverTaskSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    display_number = serializers.CharField(read_only=True)
    owner = serializers.CharField(source="owner.username", read_only=True, allow_null=True)
    planned_end = serializers.DateTimeField(read_only=True, allow_null=True)
    depends_on = serializers.SerializerMethodField()
    status = CutoverStatusField(read_only=True)
    is_complete = serializers.BooleanField(
        read_only=True,
        help_text=gettext_lazy("Planned well enough to run: an owner, a start and a duration."),
    )
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = CutoverTask
        fields = [
            "pk",
            "project",
            "number",
            "display_number",
            "position",
            "title",
            "instructions",
            "owner",
            "planned_start",
            "duration_minutes",
            "planned_end",
            "depends_on",
            "status",
            "actual_start",
            "actual_end",
            "notes",
            "is_complete",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_depends_on(self, task) -> list[int]:
        """Numbers of the tasks this one waits for."""
        return sorted(dependency.number for dependency in task.depends_on.all())


class CutoverRehearsalSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = CutoverRehearsal
        fields = [
            "pk",
            "project",
            "held_on",
            "outcome",
            "duration_hours",
            "notes",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


# --- Input ----------------------------------------------------------------------------------


class CutoverTaskUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    instructions = serializers.CharField(allow_blank=True)
    owner = ProjectMemberField(
        allow_null=True, help_text=gettext_lazy("Username of a team member.")
    )
    planned_start = SafeDateTimeField(allow_null=True)
    duration_minutes = serializers.IntegerField(
        min_value=1, max_value=LONGEST_TASK_MINUTES, allow_null=True
    )
    position = serializers.IntegerField(
        min_value=0,
        max_value=LARGEST_COUNT,
        help_text=gettext_lazy("Tasks are listed by position, then number."),
    )
    depends_on = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=LARGEST_COUNT),
        max_length=MAX_DEPENDENCIES,
        help_text=gettext_lazy(
            "Numbers (the N of T-N) of the tasks of the same plan this one waits for; "
            "the list replaces the current one."
        ),
    )
    notes = serializers.CharField(allow_blank=True)


class CutoverTaskCreateSerializer(CutoverTaskUpdateSerializer):
    project = serializers.CharField(help_text=gettext_lazy("The project's code."))
    instructions = serializers.CharField(allow_blank=True, required=False, default="")
    owner = ProjectMemberField(
        allow_null=True,
        required=False,
        default=None,
        help_text=gettext_lazy("Username of a team member."),
    )
    planned_start = SafeDateTimeField(allow_null=True, required=False, default=None)
    duration_minutes = serializers.IntegerField(
        min_value=1, max_value=LONGEST_TASK_MINUTES, allow_null=True, required=False, default=None
    )
    position = serializers.IntegerField(
        min_value=0,
        max_value=LARGEST_COUNT,
        required=False,
        help_text=gettext_lazy("Leave out to add the task at the end."),
    )
    depends_on = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=LARGEST_COUNT),
        max_length=MAX_DEPENDENCIES,
        required=False,
        default=list,
        help_text=gettext_lazy("Numbers (the N of T-N) of the tasks this one waits for."),
    )
    notes = serializers.CharField(allow_blank=True, required=False, default="")


class CutoverMoveSerializer(serializers.Serializer):
    status = CutoverStatusField()
    note = serializers.CharField(
        allow_blank=True,
        required=False,
        default="",
        help_text=gettext_lazy("Required to block a task: what blocks it."),
    )
    at = SafeDateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("When it happened, for a move recorded afterwards; not ahead."),
    )


class RehearsalCreateSerializer(serializers.Serializer):
    project = serializers.CharField(help_text=gettext_lazy("The project's code."))
    held_on = serializers.DateField()
    outcome = serializers.ChoiceField(choices=RehearsalOutcome.choices)
    duration_hours = serializers.DecimalField(
        max_digits=5,
        decimal_places=1,
        min_value=0,
        max_value=999,
        allow_null=True,
        required=False,
        default=None,
    )
    notes = serializers.CharField(allow_blank=True, required=False, default="")


# --- The viewsets ---------------------------------------------------------------------------


def _with_tasks(fields: dict, project) -> dict:
    if "depends_on" in fields:
        fields["depends_on"] = tasks_by_number(project, fields["depends_on"])
    return fields


@declare(POLICY)
class CutoverTaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The cutover plan of the projects you belong to, in order (position, then number).
    Filter with ?project=CODE, status and owner (username)."""

    lookup_value_regex = r"\d+"
    serializer_class = CutoverTaskSerializer
    filterset_class = CutoverTaskFilter
    ordering_fields = ["position", "number", "planned_start"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return tasks_visible_to(self.request.user)

    def get_object(self):
        return first_or_404(
            self.get_queryset(), self.kwargs["pk"], _("No cutover task matches the given query.")
        )

    def _reply(self, task, code=status.HTTP_200_OK) -> Response:
        task = self.get_queryset().get(pk=task.pk)
        return Response(CutoverTaskSerializer(task).data, status=code)

    @extend_schema(request=CutoverTaskCreateSerializer, responses={201: CutoverTaskSerializer})
    def create(self, request):
        """Add a task to the plan with the next number, at the end unless a position is
        given."""
        data = body_of(request)
        project = project_for_writing(request.user, data.get("project"))
        policy.ensure(request.user, project, Capability.MANAGE_CUTOVER)
        serializer = CutoverTaskCreateSerializer(data=data, context={"project": project})
        serializer.is_valid(raise_exception=True)
        fields = _with_tasks(dict(serializer.validated_data), project)
        fields.pop("project")
        task = services.cutover_task_create(actor=request.user, project=project, **fields)
        return self._reply(task, status.HTTP_201_CREATED)

    @extend_schema(request=CutoverTaskUpdateSerializer, responses={200: CutoverTaskSerializer})
    def partial_update(self, request, pk=None):
        """Change a task of the plan; `depends_on` replaces its dependencies and is refused
        when it would close a cycle."""
        task = self.get_object()
        policy.ensure(request.user, task.project, Capability.MANAGE_CUTOVER)
        serializer = CutoverTaskUpdateSerializer(
            data=body_of(request), partial=True, context={"project": task.project}
        )
        serializer.is_valid(raise_exception=True)
        fields = _with_tasks(dict(serializer.validated_data), task.project)
        task = services.cutover_task_update(actor=request.user, task=task, **fields)
        return self._reply(task)

    @extend_schema(request=CutoverMoveSerializer, responses={200: CutoverTaskSerializer})
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the task on the run-sheet: in_progress (once what it depends on is done),
        done, blocked (with a note saying why), and back to in_progress."""
        task = self.get_object()
        if not policy.can_run_cutover_task(request.user, task):
            raise PermissionDenied(_("Only the task's owner or a cutover manager moves this task."))
        serializer = CutoverMoveSerializer(data=body_of(request))
        serializer.is_valid(raise_exception=True)
        task = services.cutover_task_move(
            actor=request.user, task=task, **serializer.validated_data
        )
        return self._reply(task)


@declare(POLICY)
class CutoverRehearsalViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Dress rehearsals of the cutover plan, latest first. Filter with ?project=CODE and
    outcome."""

    lookup_value_regex = r"\d+"
    serializer_class = CutoverRehearsalSerializer
    filterset_class = CutoverRehearsalFilter
    ordering_fields = ["held_on", "recorded_at"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return rehearsals_visible_to(self.request.user)

    def get_object(self):
        return first_or_404(
            self.get_queryset(), self.kwargs["pk"], _("No rehearsal matches the given query.")
        )

    @extend_schema(request=RehearsalCreateSerializer, responses={201: CutoverRehearsalSerializer})
    def create(self, request):
        """Record a rehearsal once it is held, and whether it went through."""
        data = body_of(request)
        project = project_for_writing(request.user, data.get("project"))
        policy.ensure(request.user, project, Capability.MANAGE_CUTOVER)
        serializer = RehearsalCreateSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("project")
        rehearsal = services.rehearsal_record(actor=request.user, project=project, **fields)
        rehearsal = self.get_queryset().get(pk=rehearsal.pk)
        return Response(CutoverRehearsalSerializer(rehearsal).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    """Add this area's viewsets to the API router."""
    router.register("cutover-tasks", CutoverTaskViewSet, basename="cutover-task")
    router.register("cutover-rehearsals", CutoverRehearsalViewSet, basename="cutover-rehearsal")
