"""API of training and communication: the communication plan, the roster of end users,
training sessions with their invitations and attendance.

Everything here is written with manage_training (project manager, consultants, key users).
Training coverage per department, the share of each department's end users who attended a
session, is part of the readiness read (GET /readiness/{code}/).

Outsiders get 404 for anything of a project they do not belong to; a member whose role
does not allow the action gets 403 before the rest of the input is read; bad input is a
400 with field keys. No PUT, no DELETE.
"""

import django_filters
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from implementation.api.golive_migration import enum_field, first_or_404, project_filter, visible
from implementation.choices import ActivityStatus, CommunicationKind
from implementation.models import Attendance, CommunicationActivity, EndUser, TrainingSession
from implementation.services import training as services
from implementation.services.training import MAX_ROSTER_ROWS
from kpis.api.kpis import body_of, project_for_writing
from projects import policy
from projects.api.fields import ProjectMemberField, SafeDateTimeField
from projects.choices import Department, Role
from projects.filters import MAX_PK
from projects.policy import Capability, declare

POLICY = (
    "project members read the communication plan, end users and training sessions; "
    "writing them needs manage_training"
)
CommunicationKindField = enum_field(CommunicationKind, "CommunicationKindEnum")
ActivityStatusField = enum_field(ActivityStatus, "CommunicationStatusEnum")
MAX_ROSTER_TEXT = 1_000_000  # characters: 5,000 lines of name, department and e-mail


# --- Selectors ------------------------------------------------------------------------------


def activities_visible_to(user) -> QuerySet[CommunicationActivity]:
    """Communication activities of the user's projects, by date."""
    return (
        visible(CommunicationActivity.objects.all(), user)
        .select_related("project", "owner", "created_by")
        .order_by("project__code", "planned_on", "pk")
    )


def end_users_visible_to(user) -> QuerySet[EndUser]:
    """End users of the user's projects, by department and name, each marked trained when
    they attended at least one session."""
    attended = Attendance.objects.filter(end_user=OuterRef("pk"), attended=True)
    return (
        visible(EndUser.objects.all(), user)
        .select_related("project", "user")
        .annotate(trained=Exists(attended))
        .order_by("project__code", "department", "name", "pk")
    )


def sessions_visible_to(user) -> QuerySet[TrainingSession]:
    """Training sessions of the user's projects, by start, with who was invited and came."""
    return (
        visible(TrainingSession.objects.all(), user)
        .select_related("project", "trainer", "created_by")
        .prefetch_related(
            Prefetch(
                "attendances",
                queryset=Attendance.objects.select_related("end_user").order_by(
                    "end_user__name", "end_user_id"
                ),
            )
        )
        .order_by("project__code", "starts_at", "pk")
    )


# --- Filters --------------------------------------------------------------------------------


class ActivityFilter(django_filters.FilterSet):
    project = project_filter()
    kind = django_filters.ChoiceFilter(
        choices=CommunicationKind.choices, label=gettext_lazy("Kind")
    )
    status = django_filters.ChoiceFilter(
        choices=ActivityStatus.choices, label=gettext_lazy("Status")
    )

    class Meta:
        model = CommunicationActivity
        fields = ["project", "kind", "status"]


class EndUserFilter(django_filters.FilterSet):
    project = project_filter()
    department = django_filters.ChoiceFilter(
        choices=Department.choices, label=gettext_lazy("Department")
    )
    trained = django_filters.BooleanFilter(label=gettext_lazy("Attended a session"))

    class Meta:
        model = EndUser
        fields = ["project", "department", "trained"]


class SessionFilter(django_filters.FilterSet):
    project = project_filter()

    class Meta:
        model = TrainingSession
        fields = ["project"]


# --- Output ---------------------------------------------------------------------------------


class ActivitySerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    audience = serializers.CharField(
        read_only=True, help_text=gettext_lazy("Department and role in words, or everyone.")
    )
    kind = CommunicationKindField(read_only=True)
    # Blank when the activity is for every department or role.
    audience_department = serializers.ChoiceField(
        choices=Department.choices, allow_blank=True, read_only=True
    )
    audience_role = serializers.ChoiceField(choices=Role.choices, allow_blank=True, read_only=True)
    status = ActivityStatusField(read_only=True)
    owner = serializers.CharField(source="owner.username", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = CommunicationActivity
        fields = [
            "pk",
            "project",
            "title",
            "kind",
            "audience_department",
            "audience_role",
            "audience",
            "planned_on",
            "owner",
            "status",
            "notes",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class EndUserSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    user = serializers.CharField(
        source="user.username",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("The team member this end user is, if any."),
    )
    email = serializers.EmailField(read_only=True, allow_blank=True)
    trained = serializers.BooleanField(
        read_only=True, help_text=gettext_lazy("Attended at least one training session.")
    )

    class Meta:
        model = EndUser
        fields = ["pk", "project", "name", "department", "email", "user", "trained", "created_at"]
        read_only_fields = fields


class AttendanceSerializer(serializers.ModelSerializer):
    end_user = serializers.IntegerField(source="end_user_id", read_only=True)
    name = serializers.CharField(source="end_user.name", read_only=True)
    department = serializers.ChoiceField(
        source="end_user.department", choices=Department.choices, read_only=True
    )

    class Meta:
        model = Attendance
        fields = ["end_user", "name", "department", "attended", "recorded_at"]
        read_only_fields = fields


class SessionSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    trainer = serializers.CharField(source="trainer.username", read_only=True, allow_null=True)
    invited = serializers.SerializerMethodField()
    attended = serializers.SerializerMethodField()
    attendance = AttendanceSerializer(source="attendances", many=True, read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = TrainingSession
        fields = [
            "pk",
            "project",
            "title",
            "module",
            "starts_at",
            "duration_minutes",
            "location",
            "trainer",
            "notes",
            "invited",
            "attended",
            "attendance",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_invited(self, session) -> int:
        """End users on the session's list."""
        return len(session.attendances.all())

    def get_attended(self, session) -> int:
        """Of them, those who came."""
        return sum(1 for row in session.attendances.all() if row.attended)


class EndUserCountSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=gettext_lazy("End users added."))


# --- Input ----------------------------------------------------------------------------------


class ActivityUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    kind = CommunicationKindField()
    audience_department = serializers.ChoiceField(
        choices=Department.choices,
        allow_blank=True,
        help_text=gettext_lazy("Leave both audience fields empty for everyone."),
    )
    audience_role = serializers.ChoiceField(choices=Role.choices, allow_blank=True)
    planned_on = serializers.DateField()
    owner = ProjectMemberField(help_text=gettext_lazy("Username of a team member."))
    status = ActivityStatusField()
    notes = serializers.CharField(allow_blank=True)


class ActivityCreateSerializer(ActivityUpdateSerializer):
    project = serializers.CharField(help_text=gettext_lazy("The project's code."))
    audience_department = serializers.ChoiceField(
        choices=Department.choices,
        allow_blank=True,
        required=False,
        default="",
        help_text=gettext_lazy("Leave both audience fields empty for everyone."),
    )
    audience_role = serializers.ChoiceField(
        choices=Role.choices, allow_blank=True, required=False, default=""
    )
    status = ActivityStatusField(default=ActivityStatus.PLANNED)
    notes = serializers.CharField(allow_blank=True, required=False, default="")


class EndUserUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    department = serializers.ChoiceField(choices=Department.choices)
    email = serializers.EmailField(allow_blank=True, max_length=254)
    user = ProjectMemberField(
        allow_null=True,
        help_text=gettext_lazy("Username of the team member this end user is, if any."),
    )


class EndUserCreateSerializer(EndUserUpdateSerializer):
    project = serializers.CharField(help_text=gettext_lazy("The project's code."))
    email = serializers.EmailField(allow_blank=True, max_length=254, required=False, default="")
    user = ProjectMemberField(
        allow_null=True,
        required=False,
        default=None,
        help_text=gettext_lazy("Username of the team member this end user is, if any."),
    )


class EndUserImportSerializer(serializers.Serializer):
    project = serializers.CharField(help_text=gettext_lazy("The project's code."))
    text = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        max_length=MAX_ROSTER_TEXT,
        help_text=gettext_lazy(
            "CSV: name, department (its code or name), e-mail (optional), one end user per "
            "line, an optional header line. One bad line saves nothing."
        ),
    )


class SessionUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    module = serializers.CharField(max_length=120, allow_blank=True)
    starts_at = SafeDateTimeField()
    duration_minutes = serializers.IntegerField(min_value=1, max_value=24 * 60)
    location = serializers.CharField(max_length=200, allow_blank=True)
    trainer = ProjectMemberField(
        allow_null=True, help_text=gettext_lazy("Username of a team member.")
    )
    notes = serializers.CharField(allow_blank=True)


class SessionCreateSerializer(SessionUpdateSerializer):
    project = serializers.CharField(help_text=gettext_lazy("The project's code."))
    module = serializers.CharField(max_length=120, allow_blank=True, required=False, default="")
    duration_minutes = serializers.IntegerField(min_value=1, max_value=24 * 60, default=120)
    location = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")
    trainer = ProjectMemberField(
        allow_null=True,
        required=False,
        default=None,
        help_text=gettext_lazy("Username of a team member."),
    )
    notes = serializers.CharField(allow_blank=True, required=False, default="")


class InviteSerializer(serializers.Serializer):
    end_users = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_PK),
        allow_empty=False,
        max_length=MAX_ROSTER_ROWS,
        help_text=gettext_lazy("pks of end users of the session's project."),
    )


class UninviteSerializer(serializers.Serializer):
    end_user = serializers.IntegerField(
        min_value=1,
        max_value=MAX_PK,
        help_text=gettext_lazy("pk of an end user on the session's list."),
    )


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "boolean", "nullable": True},
        "description": "End user pk -> true (came), false (did not), null (not known yet).",
    }
)
class AttendedField(serializers.DictField):
    """Keys are end users' pks: JSON object keys are text, so each one is checked here."""

    child = serializers.BooleanField(allow_null=True)

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        parsed = {}
        for key, value in values.items():
            try:
                pk = int(key)
            except (TypeError, ValueError):
                pk = 0
            if not 1 <= pk <= MAX_PK:
                raise serializers.ValidationError(_("Use end users' pks as keys."))
            parsed[pk] = value
        return parsed


class AttendanceInputSerializer(serializers.Serializer):
    attended = AttendedField(allow_empty=False)

    def validate_attended(self, value):
        if len(value) > MAX_ROSTER_ROWS:
            raise serializers.ValidationError(
                _("At most %(count)d end users at a time.") % {"count": MAX_ROSTER_ROWS}
            )
        return value


# --- The viewsets ---------------------------------------------------------------------------


def _created(fields: dict) -> dict:
    fields = dict(fields)
    fields.pop("project")
    return fields


@declare(POLICY)
class ActivityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The communication plan of the projects you belong to, by date. Filter with
    ?project=CODE, kind and status."""

    lookup_value_regex = r"\d+"
    serializer_class = ActivitySerializer
    filterset_class = ActivityFilter
    ordering_fields = ["planned_on", "created_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return activities_visible_to(self.request.user)

    def get_object(self):
        return first_or_404(
            self.get_queryset(),
            self.kwargs["pk"],
            _("No communication activity matches the given query."),
        )

    def _reply(self, activity, code=status.HTTP_200_OK) -> Response:
        activity = self.get_queryset().get(pk=activity.pk)
        return Response(ActivitySerializer(activity).data, status=code)

    @extend_schema(request=ActivityCreateSerializer, responses={201: ActivitySerializer})
    def create(self, request):
        """Plan a communication activity: who hears what, how and when."""
        data = body_of(request)
        project = project_for_writing(request.user, data.get("project"))
        policy.ensure(request.user, project, Capability.MANAGE_TRAINING)
        serializer = ActivityCreateSerializer(data=data, context={"project": project})
        serializer.is_valid(raise_exception=True)
        activity = services.activity_create(
            actor=request.user, project=project, **_created(serializer.validated_data)
        )
        return self._reply(activity, status.HTTP_201_CREATED)

    @extend_schema(request=ActivityUpdateSerializer, responses={200: ActivitySerializer})
    def partial_update(self, request, pk=None):
        activity = self.get_object()
        policy.ensure(request.user, activity.project, Capability.MANAGE_TRAINING)
        serializer = ActivityUpdateSerializer(
            data=body_of(request), partial=True, context={"project": activity.project}
        )
        serializer.is_valid(raise_exception=True)
        activity = services.activity_update(
            actor=request.user, activity=activity, **serializer.validated_data
        )
        return self._reply(activity)


@declare(POLICY)
class EndUserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """End users of the projects you belong to: the people training has to reach. Filter
    with ?project=CODE, department and trained (true/false)."""

    lookup_value_regex = r"\d+"
    serializer_class = EndUserSerializer
    filterset_class = EndUserFilter
    ordering_fields = ["name", "department", "created_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return end_users_visible_to(self.request.user)

    def get_object(self):
        return first_or_404(
            self.get_queryset(), self.kwargs["pk"], _("No end user matches the given query.")
        )

    def _reply(self, end_user, code=status.HTTP_200_OK) -> Response:
        end_user = self.get_queryset().get(pk=end_user.pk)
        return Response(EndUserSerializer(end_user).data, status=code)

    @extend_schema(request=EndUserCreateSerializer, responses={201: EndUserSerializer})
    def create(self, request):
        """Add an end user to the roster."""
        data = body_of(request)
        project = project_for_writing(request.user, data.get("project"))
        policy.ensure(request.user, project, Capability.MANAGE_TRAINING)
        serializer = EndUserCreateSerializer(data=data, context={"project": project})
        serializer.is_valid(raise_exception=True)
        end_user = services.end_user_create(
            actor=request.user, project=project, **_created(serializer.validated_data)
        )
        return self._reply(end_user, status.HTTP_201_CREATED)

    @extend_schema(request=EndUserUpdateSerializer, responses={200: EndUserSerializer})
    def partial_update(self, request, pk=None):
        end_user = self.get_object()
        policy.ensure(request.user, end_user.project, Capability.MANAGE_TRAINING)
        serializer = EndUserUpdateSerializer(
            data=body_of(request), partial=True, context={"project": end_user.project}
        )
        serializer.is_valid(raise_exception=True)
        end_user = services.end_user_update(
            actor=request.user, end_user=end_user, **serializer.validated_data
        )
        return self._reply(end_user)

    @extend_schema(request=EndUserImportSerializer, responses={201: EndUserCountSerializer})
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        filter_backends=[],
        pagination_class=None,
    )
    def import_roster(self, request):
        """Add end users from CSV text; every line is checked first and one bad line saves
        nothing (the error names the line)."""
        data = body_of(request)
        project = project_for_writing(request.user, data.get("project"))
        policy.ensure(request.user, project, Capability.MANAGE_TRAINING)
        serializer = EndUserImportSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        created = services.end_users_import(
            actor=request.user, project=project, text=serializer.validated_data["text"]
        )
        return Response({"count": len(created)}, status=status.HTTP_201_CREATED)


@declare(POLICY)
class SessionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Training sessions of the projects you belong to, by start, each with who was invited
    and who came. Filter with ?project=CODE."""

    lookup_value_regex = r"\d+"
    serializer_class = SessionSerializer
    filterset_class = SessionFilter
    ordering_fields = ["starts_at", "created_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return sessions_visible_to(self.request.user)

    def get_object(self):
        return first_or_404(
            self.get_queryset(),
            self.kwargs["pk"],
            _("No training session matches the given query."),
        )

    def _reply(self, session, code=status.HTTP_200_OK) -> Response:
        session = self.get_queryset().get(pk=session.pk)
        return Response(SessionSerializer(session).data, status=code)

    def _to_manage(self):
        session = self.get_object()
        policy.ensure(self.request.user, session.project, Capability.MANAGE_TRAINING)
        return session

    @extend_schema(request=SessionCreateSerializer, responses={201: SessionSerializer})
    def create(self, request):
        """Plan a training session."""
        data = body_of(request)
        project = project_for_writing(request.user, data.get("project"))
        policy.ensure(request.user, project, Capability.MANAGE_TRAINING)
        serializer = SessionCreateSerializer(data=data, context={"project": project})
        serializer.is_valid(raise_exception=True)
        session = services.session_create(
            actor=request.user, project=project, **_created(serializer.validated_data)
        )
        return self._reply(session, status.HTTP_201_CREATED)

    @extend_schema(request=SessionUpdateSerializer, responses={200: SessionSerializer})
    def partial_update(self, request, pk=None):
        session = self._to_manage()
        serializer = SessionUpdateSerializer(
            data=body_of(request), partial=True, context={"project": session.project}
        )
        serializer.is_valid(raise_exception=True)
        session = services.session_update(
            actor=request.user, session=session, **serializer.validated_data
        )
        return self._reply(session)

    @extend_schema(request=InviteSerializer, responses={200: SessionSerializer})
    @action(detail=True, methods=["post"])
    def invite(self, request, pk=None):
        """Invite end users of the project; those already invited stay as they are."""
        session = self._to_manage()
        serializer = InviteSerializer(data=body_of(request))
        serializer.is_valid(raise_exception=True)
        pks = set(serializer.validated_data["end_users"])
        end_users = list(EndUser.objects.filter(project=session.project, pk__in=pks))
        if len(end_users) != len(pks):
            raise serializers.ValidationError(
                {"end_users": [_("Choose end users of this project.")]}
            )
        services.session_invite(actor=request.user, session=session, end_users=end_users)
        return self._reply(session)

    @extend_schema(request=UninviteSerializer, responses={200: SessionSerializer})
    @action(detail=True, methods=["post"])
    def uninvite(self, request, pk=None):
        """Take an end user off the session's list while nothing is recorded for them; a
        recorded attendance stays."""
        session = self._to_manage()
        serializer = UninviteSerializer(data=body_of(request))
        serializer.is_valid(raise_exception=True)
        end_user = EndUser.objects.filter(
            project=session.project, pk=serializer.validated_data["end_user"]
        ).first()
        if end_user is None:
            raise serializers.ValidationError(
                {"end_user": [_("Choose someone on this session's list.")]}
            )
        services.attendance_remove(actor=request.user, session=session, end_user=end_user)
        return self._reply(session)

    @extend_schema(request=AttendanceInputSerializer, responses={200: SessionSerializer})
    @action(detail=True, methods=["post"])
    def attendance(self, request, pk=None):
        """Record who came, once the session has started; end users not yet invited are
        added to the list."""
        session = self._to_manage()
        serializer = AttendanceInputSerializer(data=body_of(request))
        serializer.is_valid(raise_exception=True)
        services.attendance_record(
            actor=request.user, session=session, attended=serializer.validated_data["attended"]
        )
        return self._reply(session)


def register(router) -> None:
    """Add this area's viewsets to the API router."""
    router.register("communication-activities", ActivityViewSet, basename="communication-activity")
    router.register("end-users", EndUserViewSet, basename="end-user")
    router.register("training-sessions", SessionViewSet, basename="training-session")
