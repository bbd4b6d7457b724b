"""API doors onto review meetings, action items and the agenda: the same selectors,
services and policy as the pages."""

import django_filters
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from implementation.agenda import build_agenda
from implementation.choices import OPEN_ACTION_STATUSES, ActionItemStatus
from implementation.models import ActionItem, ReviewMeeting
from implementation.review_forms import ActionItemFilter
from implementation.selectors import reviews as selectors
from implementation.services import reviews as services
from projects import policy
from projects.api.serializers import UserSummarySerializer
from projects.filters import ProjectCodeFilter
from projects.models import Project, User
from projects.policy import Capability, declare
from projects.selectors import project_get

POLICY = "project members see; review runners write; an owner moves their own item's status"


# --- Serializers --------------------------------------------------------------------------


class UsernameField(serializers.SlugRelatedField):
    """A user given by username; whether they are on the team is the service's rule."""

    # Unknown and not on the team read the same, so usernames can't be probed.
    default_error_messages = {
        "does_not_exist": gettext_lazy("Choose a member of this project's team."),
        "invalid": gettext_lazy("Give a username."),
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="username", queryset=User.objects.all(), **kwargs)


class ReviewMeetingSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    attendees = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    actions_raised = serializers.IntegerField(
        read_only=True, help_text=gettext_lazy("Action items raised in this meeting.")
    )
    actions_open = serializers.IntegerField(
        read_only=True, help_text=gettext_lazy("Of those, the ones still open or in progress.")
    )

    class Meta:
        model = ReviewMeeting
        fields = [
            "pk",
            "project",
            "held_on",
            "attendees",
            "notes",
            "decisions",
            "actions_raised",
            "actions_open",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ReviewMeetingCreateSerializer(serializers.Serializer):
    project = serializers.CharField(help_text=gettext_lazy("The project's code."))
    held_on = serializers.DateField()
    attendees = UsernameField(many=True, required=False, default=list)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    decisions = serializers.CharField(required=False, allow_blank=True, default="")


class ReviewMeetingUpdateSerializer(serializers.Serializer):
    held_on = serializers.DateField(required=False)
    attendees = UsernameField(many=True, required=False)
    notes = serializers.CharField(required=False, allow_blank=True)
    decisions = serializers.CharField(required=False, allow_blank=True)


class ActionItemSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    owner = UserSummarySerializer(read_only=True, allow_null=True)
    raised_in = serializers.PrimaryKeyRelatedField(read_only=True)
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = ActionItem
        fields = [
            "pk",
            "project",
            "title",
            "owner",
            "due_date",
            "status",
            "is_overdue",
            "closed_at",
            "raised_in",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_is_overdue(self, item) -> bool:
        return item.status in OPEN_ACTION_STATUSES and (item.due_date < item.project.local_today())


class MeetingField(serializers.PrimaryKeyRelatedField):
    """A meeting by pk; that it belongs to the item's project is the service's rule."""

    def __init__(self, **kwargs):
        super().__init__(queryset=ReviewMeeting.objects.all(), **kwargs)


class ActionItemCreateSerializer(serializers.Serializer):
    project = serializers.CharField(help_text=gettext_lazy("The project's code."))
    title = serializers.CharField(max_length=250)
    owner = UsernameField()
    due_date = serializers.DateField()
    raised_in = MeetingField(required=False, allow_null=True, default=None)


class ActionItemUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=250, required=False)
    owner = UsernameField(required=False)
    due_date = serializers.DateField(required=False)
    status = serializers.ChoiceField(choices=ActionItemStatus.choices, required=False)
    raised_in = MeetingField(required=False, allow_null=True)


class AgendaItemSerializer(serializers.Serializer):
    text = serializers.CharField()
    detail = serializers.CharField()
    url = serializers.CharField(help_text=gettext_lazy("A page about the item; may be empty."))
    owner = serializers.CharField(source="owner.username", default=None, allow_null=True)
    owner_name = serializers.CharField(source="owner.display_name", default=None, allow_null=True)
    due_date = serializers.DateField(allow_null=True)
    flags = serializers.ListField(
        child=serializers.CharField(), help_text=gettext_lazy("For example overdue, mandatory.")
    )


class AgendaSectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    count = serializers.IntegerField(help_text=gettext_lazy("How many there are in all."))
    items = AgendaItemSerializer(
        many=True, help_text=gettext_lazy("The first ones; see more_url for the rest.")
    )
    more_url = serializers.CharField()


class AgendaSerializer(serializers.Serializer):
    project = serializers.CharField(source="project.code")
    time_zone = serializers.CharField(source="project.time_zone")
    next_meeting_at = serializers.DateTimeField(
        help_text=gettext_lazy("In the project's time zone.")
    )
    last_meeting = serializers.IntegerField(source="last_meeting.pk", default=None, allow_null=True)
    last_meeting_held_on = serializers.DateField(
        source="last_meeting.held_on", default=None, allow_null=True
    )
    sections = AgendaSectionSerializer(many=True)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # Keep the project's own offset rather than the server's.
        data["next_meeting_at"] = instance.next_meeting_at.isoformat()
        return data


class ReviewMeetingFilter(django_filters.FilterSet):
    project = ProjectCodeFilter(label=gettext_lazy("Project code"))

    class Meta:
        model = ReviewMeeting
        fields = ["project", "held_on"]


# --- Helpers ------------------------------------------------------------------------------


def _project_in_body(request, capability: Capability):
    """The project named in the body, checked before the rest of the input is read."""
    code = request.data.get("project") if hasattr(request.data, "get") else None
    if not isinstance(code, str) or not code:
        raise serializers.ValidationError({"project": [_("This field is required.")]})
    try:
        project = project_get(user=request.user, code=code.upper())
    except Http404 as error:
        # Same answer whether the project is missing or hidden: existence must not leak.
        raise serializers.ValidationError({"project": [_("No such project.")]}) from error
    policy.ensure(request.user, project, capability)
    return project


def _viewer_project(request, project):
    """The caller's own instance of the project, so the policy knows their role."""
    return project_get(user=request.user, code=project.code)


# --- Views --------------------------------------------------------------------------------


@declare(POLICY)
class ReviewMeetingViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Weekly review meetings of the projects you belong to; filter with ?project=CODE."""

    lookup_value_regex = r"\d+"  # anything else is a 404, never a 500

    serializer_class = ReviewMeetingSerializer
    filterset_class = ReviewMeetingFilter
    ordering_fields = ["held_on"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            selectors.meetings_visible_to(self.request.user)
            .select_related("project", "created_by")
            .prefetch_related("attendees")
            .order_by("project__code", "-held_on", "-pk")
        )

    def get_object(self):
        meeting = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if meeting is None:
            raise Http404(_("No review meeting matches the given query."))
        meeting.project = _viewer_project(self.request, meeting.project)
        return meeting

    def _fresh(self, pk, status_code=status.HTTP_200_OK) -> Response:
        meeting = self.get_queryset().get(pk=pk)
        return Response(ReviewMeetingSerializer(meeting).data, status=status_code)

    @extend_schema(request=ReviewMeetingCreateSerializer, responses={201: ReviewMeetingSerializer})
    def create(self, request):
        project = _project_in_body(request, Capability.MANAGE_REVIEWS)
        serializer = ReviewMeetingCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("project")
        meeting = services.meeting_record(actor=request.user, project=project, **data)
        return self._fresh(meeting.pk, status.HTTP_201_CREATED)

    @extend_schema(request=ReviewMeetingUpdateSerializer, responses={200: ReviewMeetingSerializer})
    def partial_update(self, request, pk=None):
        meeting = self.get_object()
        policy.ensure(request.user, meeting.project, Capability.MANAGE_REVIEWS)
        serializer = ReviewMeetingUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.meeting_update(actor=request.user, meeting=meeting, **serializer.validated_data)
        return self._fresh(meeting.pk)


@declare(POLICY)
class ActionItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Action items from the review meetings; filter with ?project=, ?status= (open,
    in_progress, done, cancelled, or unresolved for open and in progress) and ?owner=."""

    lookup_value_regex = r"\d+"  # anything else is a 404, never a 500

    serializer_class = ActionItemSerializer
    filterset_class = ActionItemFilter
    ordering_fields = ["due_date", "status", "created_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            selectors.action_items_visible_to(self.request.user)
            .select_related("project", "owner")
            .order_by("project__code", "due_date", "pk")
        )

    def get_object(self):
        item = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if item is None:
            raise Http404(_("No action item matches the given query."))
        item.project = _viewer_project(self.request, item.project)
        return item

    def _fresh(self, pk, status_code=status.HTTP_200_OK) -> Response:
        item = self.get_queryset().get(pk=pk)
        return Response(ActionItemSerializer(item).data, status=status_code)

    @extend_schema(request=ActionItemCreateSerializer, responses={201: ActionItemSerializer})
    def create(self, request):
        project = _project_in_body(request, Capability.MANAGE_REVIEWS)
        serializer = ActionItemCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("project")
        item = services.action_item_create(actor=request.user, project=project, **data)
        return self._fresh(item.pk, status.HTTP_201_CREATED)

    @extend_schema(request=ActionItemUpdateSerializer, responses={200: ActionItemSerializer})
    def partial_update(self, request, pk=None):
        item = self.get_object()
        fields = set(request.data) if hasattr(request.data, "keys") else set()
        if not policy.can(request.user, item.project, Capability.MANAGE_REVIEWS):
            # An owner moves the status of their own item, and changes nothing else.
            if not policy.can_update_action_item(request.user, item):
                policy.ensure(request.user, item.project, Capability.MANAGE_REVIEWS)
            if fields - {"status"}:
                raise PermissionDenied(_("As the item's owner you may change its status only."))
        serializer = ActionItemUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.action_item_update(actor=request.user, item=item, **serializer.validated_data)
        return self._fresh(item.pk)


@declare(POLICY)
class AgendaViewSet(viewsets.GenericViewSet):
    """The agenda of a project's next weekly review meeting, built from live data."""

    serializer_class = AgendaSerializer
    lookup_field = "code"
    lookup_value_regex = "[A-Za-z0-9-]+"
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):  # only for the schema; retrieve reads through project_get
        return Project.objects.none()

    @extend_schema(responses={200: AgendaSerializer})
    def retrieve(self, request, code=None):
        project = project_get(user=request.user, code=code.upper())
        return Response(AgendaSerializer(build_agenda(project=project)).data)


def register(router) -> None:
    router.register("review-meetings", ReviewMeetingViewSet, basename="review-meeting")
    router.register("action-items", ActionItemViewSet, basename="action-item")
    router.register("agendas", AgendaViewSet, basename="agenda")
