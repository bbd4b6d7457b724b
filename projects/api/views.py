"""API doors onto the same selectors and services as the pages."""

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from projects import policy, selectors, services
from projects.api.serializers import (
    MembershipCreateSerializer,
    MembershipSerializer,
    MembershipUpdateSerializer,
    ProjectCreateSerializer,
    ProjectSerializer,
    ProjectUpdateSerializer,
)
from projects.errors import ApplicationError
from projects.filters import MembershipFilter, ProjectFilter
from projects.policy import Capability, declare

MEMBER_POLICY = "project members see; writes need the capability"
GO_LIVE_ROLES = ("is_champion", "on_hypercare_team")


@declare(MEMBER_POLICY)
class ProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Projects you belong to. Creating one makes you its project manager."""

    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter
    lookup_field = "code"
    lookup_value_regex = "[A-Za-z0-9-]+"
    ordering_fields = ["name", "code", "start_date", "target_go_live"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.project_list(user=self.request.user)

    def get_object(self):
        return selectors.project_get(user=self.request.user, code=self.kwargs["code"])

    def _respond(self, project, status_code=status.HTTP_200_OK) -> Response:
        project = selectors.project_get(user=self.request.user, code=project.code)
        data = ProjectSerializer(project, context=self.get_serializer_context()).data
        return Response(data, status=status_code)

    @extend_schema(request=ProjectCreateSerializer, responses={201: ProjectSerializer})
    def create(self, request):
        # Refuse before reading the input: a 403, not field errors, for who may not create.
        policy.ensure_can_create_project(request.user)
        serializer = ProjectCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = services.project_create(actor=request.user, **serializer.validated_data)
        return self._respond(project, status.HTTP_201_CREATED)

    @extend_schema(request=ProjectUpdateSerializer, responses={200: ProjectSerializer})
    def partial_update(self, request, code=None):
        project = self.get_object()
        # A member who may not edit learns that before anything about their input.
        policy.ensure(request.user, project, Capability.EDIT_PROJECT)
        serializer = ProjectUpdateSerializer(project, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        project = services.project_update(
            actor=request.user, project=project, **serializer.validated_data
        )
        return self._respond(project)


@declare(MEMBER_POLICY)
class MembershipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Project team members. Filter by project code; project managers add, change, remove."""

    lookup_value_regex = r"\d+"

    serializer_class = MembershipSerializer
    filterset_class = MembershipFilter
    ordering_fields = ["role", "department", "created_at"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.memberships_visible_to(self.request.user).order_by("project", "role", "pk")

    def get_object(self):
        return selectors.membership_get(user=self.request.user, pk=self.kwargs["pk"])

    def _project_to_manage(self, data):
        """The project named in the body, checked before the rest of the input is read."""
        code = data.get("project") if hasattr(data, "get") else None
        if not isinstance(code, str) or not code:
            raise serializers.ValidationError({"project": [_("This field is required.")]})
        try:
            project = selectors.project_get(user=self.request.user, code=code)
        except Http404 as error:
            # Same answer whether the project is missing or hidden: existence must not leak.
            raise serializers.ValidationError({"project": [_("No such project.")]}) from error
        policy.ensure(self.request.user, project, Capability.MANAGE_TEAM)
        return project

    @extend_schema(request=MembershipCreateSerializer, responses={201: MembershipSerializer})
    def create(self, request):
        project = self._project_to_manage(request.data)
        serializer = MembershipCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        membership = services.membership_add(
            actor=request.user,
            project=project,
            user=data["user"],
            role=data["role"],
            department=data["department"],
        )
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MembershipUpdateSerializer, responses={200: MembershipSerializer})
    def partial_update(self, request, pk=None):
        """Change a member's role and department, and name them their department's digital
        champion or part of the hypercare team; all of it or nothing."""
        membership = self.get_object()
        policy.ensure(request.user, membership.project, Capability.MANAGE_TEAM)
        serializer = MembershipUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        flags = {key: data[key] for key in GO_LIVE_ROLES if key in data}
        with transaction.atomic():
            # A champion who is let go goes before a department change, so the move does not
            # meet them as the other department's champion; a new champion comes after it,
            # in the department they end up in.
            if flags.get("is_champion") is False:
                membership = self._set_go_live_roles(membership, flags)
            if "role" in data or "department" in data or not flags:
                membership = services.membership_change(
                    actor=request.user,
                    membership=membership,
                    role=data.get("role", membership.role),
                    department=data.get("department", membership.department),
                )
            if flags and flags.get("is_champion") is not False:
                membership = self._set_go_live_roles(membership, flags)
        return Response(MembershipSerializer(membership).data)

    def _set_go_live_roles(self, membership, flags):
        try:
            return services.membership_set_go_live_roles(
                actor=self.request.user, membership=membership, **flags
            )
        except ApplicationError as error:
            # The only refusal here: the department has its champion already.
            raise serializers.ValidationError({"is_champion": [error.message]}) from error

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        services.membership_remove(actor=request.user, membership=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
