"""API doors onto phases and checklists: the same selectors, services and policy as the pages."""

import django_filters
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from implementation.choices import ChecklistItemKind, PhaseKind
from implementation.models import ChecklistItem, Phase, PhaseTransition
from implementation.selectors import phases as selectors
from implementation.services import phases as services
from projects import policy
from projects.api.serializers import UserSummarySerializer
from projects.models import User
from projects.policy import Capability, declare
from projects.selectors import project_get

POLICY = "project members see; plan editors write; waivers need the project manager"


# --- Serializers --------------------------------------------------------------------------


class TransitionSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True)

    class Meta:
        model = PhaseTransition
        fields = ["from_status", "to_status", "actor", "at", "reason", "is_waiver"]
        read_only_fields = fields


class PhaseSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    owner = UserSummarySerializer(read_only=True, allow_null=True)
    waived_by = serializers.CharField(
        source="waived_by.username", read_only=True, default=None, allow_null=True
    )
    items_total = serializers.IntegerField(read_only=True)
    items_done = serializers.IntegerField(read_only=True)
    mandatory_open = serializers.IntegerField(read_only=True)

    class Meta:
        model = Phase
        fields = [
            "pk",
            "project",
            "kind",
            "position",
            "status",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
            "owner",
            "notes",
            "waiver_reason",
            "waived_by",
            "waived_at",
            "items_total",
            "items_done",
            "mandatory_open",
        ]
        read_only_fields = fields


class MemberField(serializers.SlugRelatedField):
    """A user given by username; whether they are on the team is the service's rule."""

    # Unknown and not on the team read the same, so usernames can't be probed.
    default_error_messages = {
        "does_not_exist": gettext_lazy("Choose a member of this project's team."),
        "invalid": gettext_lazy("Give a username."),
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="username", queryset=User.objects.all(), **kwargs)


class PhaseUpdateSerializer(serializers.Serializer):
    planned_start = serializers.DateField(required=False)
    planned_end = serializers.DateField(required=False)
    actual_start = serializers.DateField(required=False, allow_null=True)
    actual_end = serializers.DateField(required=False, allow_null=True)
    owner = MemberField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)


class PhaseCompleteSerializer(serializers.Serializer):
    waiver_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("Needed, from the project manager, while mandatory items are open."),
    )


class PhaseReopenSerializer(serializers.Serializer):
    reason = serializers.CharField()


class ChecklistItemSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="phase.project.code", read_only=True)
    phase = serializers.CharField(source="phase.kind", read_only=True)
    owner = serializers.CharField(
        source="owner.username", read_only=True, default=None, allow_null=True
    )
    done_by = serializers.CharField(
        source="done_by.username", read_only=True, default=None, allow_null=True
    )
    evidence_url = serializers.URLField(read_only=True, allow_blank=True)
    is_done = serializers.BooleanField(read_only=True)

    class Meta:
        model = ChecklistItem
        fields = [
            "pk",
            "project",
            "phase",
            "position",
            "kind",
            "title",
            "description",
            "owner",
            "due_date",
            "is_mandatory",
            "is_done",
            "done_at",
            "done_by",
            "evidence_url",
        ]
        read_only_fields = fields


class ChecklistItemCreateSerializer(serializers.Serializer):
    project = serializers.CharField(help_text=gettext_lazy("The project's code."))
    phase = serializers.ChoiceField(choices=PhaseKind.choices)
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=ChecklistItemKind.choices, default="criterion")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    owner = MemberField(required=False, allow_null=True, default=None)
    due_date = serializers.DateField(required=False, allow_null=True, default=None)
    is_mandatory = serializers.BooleanField(default=True)
    evidence_url = serializers.URLField(required=False, allow_blank=True, default="")


class ChecklistItemUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    kind = serializers.ChoiceField(choices=ChecklistItemKind.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    owner = MemberField(required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)
    is_mandatory = serializers.BooleanField(required=False)
    evidence_url = serializers.URLField(required=False, allow_blank=True)


class MoveSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=[("up", "up"), ("down", "down")])


# --- Filters ------------------------------------------------------------------------------


class PhaseFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code")

    class Meta:
        model = Phase
        fields = ["project", "kind", "status"]


class ChecklistItemFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="phase__project__code")
    phase = django_filters.ChoiceFilter(field_name="phase__kind", choices=PhaseKind.choices)
    is_done = django_filters.BooleanFilter(field_name="done_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = ChecklistItem
        fields = ["project", "phase", "is_mandatory", "is_done"]


# --- Views --------------------------------------------------------------------------------


def _viewer_project(request, phase_or_item_project):
    """The caller's own instance of the project, so the policy knows their role."""
    return project_get(user=request.user, code=phase_or_item_project.code)


@declare(POLICY)
class PhaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The six phases of the projects you belong to; start, complete and reopen them."""

    lookup_value_regex = r"\d+"  # anything else is a 404, never a 500

    serializer_class = PhaseSerializer
    filterset_class = PhaseFilter
    ordering_fields = ["position", "planned_start"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            selectors.phases_visible_to(self.request.user)
            .select_related("project", "owner", "waived_by")
            .annotate(**selectors.PROGRESS_ANNOTATIONS)
            .order_by("project__code", "position")
        )

    def get_object(self):
        phase = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if phase is None:
            raise Http404(_("No phase matches the given query."))
        phase.project = _viewer_project(self.request, phase.project)
        return phase

    def _fresh(self) -> Response:
        return Response(PhaseSerializer(self.get_object()).data)

    @extend_schema(request=PhaseUpdateSerializer, responses={200: PhaseSerializer})
    def partial_update(self, request, pk=None):
        phase = self.get_object()
        policy.ensure(request.user, phase.project, Capability.EDIT_PLAN)
        serializer = PhaseUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.phase_update(actor=request.user, phase=phase, **serializer.validated_data)
        return self._fresh()

    @extend_schema(request=None, responses={200: PhaseSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        phase = self.get_object()
        services.phase_start(actor=request.user, phase=phase)
        return self._fresh()

    @extend_schema(request=PhaseCompleteSerializer, responses={200: PhaseSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        phase = self.get_object()
        policy.ensure(request.user, phase.project, Capability.EDIT_PLAN)
        serializer = PhaseCompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.phase_complete(
            actor=request.user,
            phase=phase,
            waiver_reason=serializer.validated_data["waiver_reason"],
        )
        return self._fresh()

    @extend_schema(request=PhaseReopenSerializer, responses={200: PhaseSerializer})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        phase = self.get_object()
        policy.ensure(request.user, phase.project, Capability.EDIT_PLAN)
        serializer = PhaseReopenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.phase_reopen(
            actor=request.user, phase=phase, reason=serializer.validated_data["reason"]
        )
        return self._fresh()

    @extend_schema(responses={200: TransitionSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request, pk=None):
        phase = self.get_object()
        transitions = phase.transitions.select_related("actor").order_by("at", "pk")
        return Response(TransitionSerializer(transitions, many=True).data)


@declare(POLICY)
class ChecklistItemViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Checklist items (gate criteria and deliverables); filter by project and phase."""

    lookup_value_regex = r"\d+"  # anything else is a 404, never a 500

    serializer_class = ChecklistItemSerializer
    filterset_class = ChecklistItemFilter
    ordering_fields = ["position", "due_date"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return (
            selectors.checklist_items_visible_to(self.request.user)
            .select_related("phase__project", "owner", "done_by")
            .order_by("phase__project__code", "phase__position", "position", "pk")
        )

    def get_object(self):
        item = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if item is None:
            raise Http404(_("No checklist item matches the given query."))
        item.phase.project = _viewer_project(self.request, item.phase.project)
        return item

    def _fresh(self, pk, status_code=status.HTTP_200_OK) -> Response:
        item = self.get_queryset().get(pk=pk)
        return Response(ChecklistItemSerializer(item).data, status=status_code)

    @extend_schema(request=ChecklistItemCreateSerializer, responses={201: ChecklistItemSerializer})
    def create(self, request):
        code = request.data.get("project") if hasattr(request.data, "get") else None
        try:
            project = project_get(user=request.user, code=code if isinstance(code, str) else "")
        except Http404 as error:
            raise serializers.ValidationError({"project": [_("No such project.")]}) from error
        policy.ensure(request.user, project, Capability.EDIT_PLAN)
        serializer = ChecklistItemCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("project")
        phase = selectors.phase_get(user=request.user, project=project, kind=data.pop("phase"))
        item = services.checklist_item_create(actor=request.user, phase=phase, **data)
        return self._fresh(item.pk, status.HTTP_201_CREATED)

    @extend_schema(request=ChecklistItemUpdateSerializer, responses={200: ChecklistItemSerializer})
    def partial_update(self, request, pk=None):
        item = self.get_object()
        if not policy.can_tick_checklist_item(request.user, item):
            policy.ensure(request.user, item.phase.project, Capability.EDIT_PLAN)
        serializer = ChecklistItemUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.checklist_item_update(actor=request.user, item=item, **serializer.validated_data)
        return self._fresh(item.pk)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        services.checklist_item_delete(actor=request.user, item=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: ChecklistItemSerializer})
    @action(detail=True, methods=["post"])
    def tick(self, request, pk=None):
        item = self.get_object()
        services.checklist_item_set_done(actor=request.user, item=item, is_done=True)
        return self._fresh(item.pk)

    @extend_schema(request=None, responses={200: ChecklistItemSerializer})
    @action(detail=True, methods=["post"])
    def untick(self, request, pk=None):
        item = self.get_object()
        services.checklist_item_set_done(actor=request.user, item=item, is_done=False)
        return self._fresh(item.pk)

    @extend_schema(request=MoveSerializer, responses={200: ChecklistItemSerializer})
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        item = self.get_object()
        policy.ensure(request.user, item.phase.project, Capability.EDIT_PLAN)
        serializer = MoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        offset = -1 if serializer.validated_data["direction"] == "up" else 1
        services.checklist_item_move(actor=request.user, item=item, offset=offset)
        return self._fresh(item.pk)


def register(router) -> None:
    router.register("phases", PhaseViewSet, basename="phase")
    router.register("checklist-items", ChecklistItemViewSet, basename="checklist-item")
