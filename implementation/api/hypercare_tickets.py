"""API of support tickets after go-live and the support team's triage board.

The ERP's help button raises a ticket with the token of a team member (POST /tickets/;
anyone who may raise tickets, source "api"). A ticket's read carries its two SLA clocks
(implementation.hypercare.clocks): when the first response and the resolution are due,
when each clock stopped, whether it was breached and how much working time is left, and a
`breached` flag for either. The support team (policy.can_handle_tickets) edits a ticket,
moves it, logs it as a defect and links the configuration change that fixed it; the
reporter also closes or reopens it (a reopen needs a comment). Comments and files come
from anyone who may raise tickets and from the support team. Every change is in `history`.

GET /ticket-board/{code}/ is the triage board: open tickets by severity, breaching soonest
first.

Outsiders get 404 for anything of a project they do not belong to; a member whose role
does not allow the action gets 403 before the rest of the input is read; bad input is a
400 with field keys. No PUT, no DELETE.
"""

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from implementation import hypercare
from implementation.api.golive_migration import enum_field, first_or_404, project_filter, visible
from implementation.choices import OPEN_TICKET_STATUSES, TicketSource, TicketStatus
from implementation.models import (
    ConfigurationChange,
    Ticket,
    TicketAttachment,
    TicketComment,
    TicketEvent,
)
from implementation.services import hypercare as services
from kpis.api.kpis import body_of, project_for_writing
from projects import policy
from projects.api.fields import ProjectMemberField
from projects.filters import MAX_PK
from projects.models import Project
from projects.policy import Capability, declare
from projects.selectors import project_get
from uat.choices import Severity
from uat.models import TestCycle

POLICY = (
    "project members read tickets, their comments, files and history; raising, commenting "
    "and attaching need raise_tickets (or the support team); editing and linking are for "
    "the support team, converting also needs log_defects; moves follow the workflow "
    "(support team, or the reporter closing or reopening)"
)
BOARD_POLICY = "project members read the triage board; it is computed, never written"
TicketStatusField = enum_field(TicketStatus, "TicketStatusEnum")
TicketSourceField = enum_field(TicketSource, "TicketSourceEnum")
UNASSIGNED = "none"
LARGEST_NUMBER = 2**31 - 1  # PositiveIntegerField
MAX_TEXT = 10_000


# --- Selectors ------------------------------------------------------------------------------


def tickets_visible_to(user) -> QuerySet[Ticket]:
    """Tickets of the user's projects, newest first, with what a read shows (the project's
    hypercare plan included: the clocks need its working hours)."""
    return (
        visible(Ticket.objects.all(), user)
        .select_related(
            "project",
            "project__hypercare_plan",
            "reporter",
            "assignee",
            "defect",
            "configuration_change",
        )
        # By the project's key, not its code: the (project, number) index serves a page.
        .order_by("project_id", "-number")
    )


def may_comment(user, project: Project) -> bool:
    """Comments and files: whoever may raise tickets, and the support team."""
    return policy.can(user, project, Capability.RAISE_TICKETS) or policy.can_handle_tickets(
        user, project
    )


# --- Filters --------------------------------------------------------------------------------


class TicketFilter(django_filters.FilterSet):
    project = project_filter()
    status = django_filters.ChoiceFilter(choices=TicketStatus.choices, label=gettext_lazy("Status"))
    open = django_filters.BooleanFilter(
        method="filter_open", label=gettext_lazy("Open (new, acknowledged or in progress)")
    )
    severity = django_filters.ChoiceFilter(choices=Severity.choices, label=gettext_lazy("Severity"))
    module = django_filters.CharFilter(lookup_expr="icontains", label=gettext_lazy("Module"))
    assignee = django_filters.CharFilter(
        method="filter_assignee",
        label=gettext_lazy("Assignee"),
        help_text=gettext_lazy("A username, or none for unassigned tickets."),
    )
    breached = django_filters.BooleanFilter(
        method="filter_breached", label=gettext_lazy("A response or resolution SLA breached")
    )

    class Meta:
        model = Ticket
        fields = ["project", "status", "open", "severity", "module", "assignee", "breached"]

    def filter_open(self, queryset, name, value):
        if value:
            return queryset.filter(status__in=OPEN_TICKET_STATUSES)
        return queryset.exclude(status__in=OPEN_TICKET_STATUSES)

    def filter_assignee(self, queryset, name, value):
        if value.strip().lower() == UNASSIGNED:
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee__username=value.strip())

    def filter_breached(self, queryset, name, value):
        # The same rule as the counts of breaches (implementation.hypercare.breached).
        condition = hypercare.breached(timezone.now())
        return queryset.filter(condition) if value else queryset.exclude(condition)


# --- Output ---------------------------------------------------------------------------------


class SlaClockSerializer(serializers.Serializer):
    due_at = serializers.DateTimeField()
    met_at = serializers.DateTimeField(
        allow_null=True,
        help_text=gettext_lazy(
            "When the clock stopped (the first response, or the resolution), on time or not; "
            "null while it runs."
        ),
    )
    breached = serializers.BooleanField(
        help_text=gettext_lazy("Stopped after the due time, or still running past it.")
    )
    working_minutes_left = serializers.IntegerField(
        help_text=gettext_lazy(
            "Working time left until the due time, in the project's working hours; 0 once "
            "stopped or past due."
        )
    )


class SlaSerializer(serializers.Serializer):
    response = SlaClockSerializer()
    resolution = SlaClockSerializer()


def _clock(clock: hypercare.Clock) -> dict:
    return {
        "due_at": clock.due_at,
        "met_at": clock.stopped_at,
        "breached": clock.breached,
        "working_minutes_left": int(clock.left.total_seconds() // 60),
    }


def clocks_of(ticket: Ticket, hours_by_project: dict) -> tuple[hypercare.Clock, hypercare.Clock]:
    """The ticket's clocks, worked out once per read; the working hours once per project."""
    if not hasattr(ticket, "api_clocks"):
        hours = hours_by_project.get(ticket.project_id)
        if hours is None:
            hours = hours_by_project[ticket.project_id] = services.working_time(ticket.project)
        ticket.api_clocks = hypercare.clocks(ticket, hours)
    return ticket.api_clocks


class TicketSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    display_number = serializers.CharField(read_only=True)
    status = TicketStatusField(read_only=True)
    source = TicketSourceField(read_only=True)
    reporter = serializers.CharField(source="reporter.username", read_only=True)
    assignee = serializers.CharField(source="assignee.username", read_only=True, allow_null=True)
    defect = serializers.IntegerField(
        source="defect_id",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("pk of the defect the ticket was logged as."),
    )
    defect_number = serializers.CharField(
        source="defect.display_number", read_only=True, allow_null=True
    )
    configuration_change = serializers.IntegerField(
        source="configuration_change_id",
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("pk of the configuration change that fixed it."),
    )
    configuration_change_number = serializers.CharField(
        source="configuration_change.display_number", read_only=True, allow_null=True
    )
    breached = serializers.SerializerMethodField()
    sla = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "pk",
            "project",
            "number",
            "display_number",
            "module",
            "title",
            "description",
            "severity",
            "business_impact",
            "status",
            "source",
            "reporter",
            "assignee",
            "created_at",
            "acknowledged_at",
            "resolved_at",
            "closed_at",
            "reopen_count",
            "defect",
            "defect_number",
            "configuration_change",
            "configuration_change_number",
            "breached",
            "sla",
            "updated_at",
        ]
        read_only_fields = fields

    def _clocks(self, ticket):
        return clocks_of(ticket, self.context.setdefault("working_hours", {}))

    def get_breached(self, ticket) -> bool:
        """The response or the resolution SLA is breached."""
        response, resolution = self._clocks(ticket)
        return response.breached or resolution.breached

    @cached_property
    def _sla(self) -> SlaSerializer:
        # One for every row of a list: a serializer built per row copies its fields, whose
        # parent links are reference cycles; thousands per page made the garbage collector
        # stop a request now and then for a full pass (the API's p95 outlier).
        return SlaSerializer(context=self.context)

    @extend_schema_field(SlaSerializer)
    def get_sla(self, ticket):
        response, resolution = self._clocks(ticket)
        # Through the serializer, so the moments read like every other date-time.
        return self._sla.to_representation(
            {"response": _clock(response), "resolution": _clock(resolution)}
        )


class TicketCommentSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)

    class Meta:
        model = TicketComment
        fields = ["pk", "author", "body", "created_at"]
        read_only_fields = fields


class TicketEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True)
    from_status = TicketStatusField(read_only=True)
    to_status = TicketStatusField(read_only=True)
    changes = serializers.DictField(
        child=serializers.ListField(child=serializers.JSONField()),
        read_only=True,
        help_text=gettext_lazy("Changed fields: name -> [before, after]."),
    )

    class Meta:
        model = TicketEvent
        fields = ["pk", "at", "actor", "from_status", "to_status", "comment", "changes"]
        read_only_fields = fields


class TicketAttachmentSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)

    class Meta:
        model = TicketAttachment
        fields = ["pk", "original_name", "content_type", "size", "uploaded_by", "uploaded_at"]
        read_only_fields = fields


class TicketBoardRowSerializer(serializers.ModelSerializer):
    display_number = serializers.CharField(read_only=True)
    status = TicketStatusField(read_only=True)
    reporter = serializers.CharField(source="reporter.username", read_only=True)
    assignee = serializers.CharField(source="assignee.username", read_only=True, allow_null=True)
    next_due_at = serializers.DateTimeField(
        read_only=True,
        help_text=gettext_lazy("The response due time until acknowledged, then the resolution's."),
    )
    breached = serializers.BooleanField(source="is_breached", read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "pk",
            "number",
            "display_number",
            "module",
            "title",
            "severity",
            "status",
            "reporter",
            "assignee",
            "created_at",
            "next_due_at",
            "breached",
        ]
        read_only_fields = fields


class TicketBoardColumnSerializer(serializers.Serializer):
    severity = serializers.ChoiceField(choices=Severity.choices)
    label = serializers.CharField()
    tickets = TicketBoardRowSerializer(many=True)


class TicketBoardSerializer(serializers.Serializer):
    project = serializers.CharField()
    columns = TicketBoardColumnSerializer(
        many=True, help_text=gettext_lazy("One per severity, critical first.")
    )


# --- Input ----------------------------------------------------------------------------------


class TicketUpdateSerializer(serializers.Serializer):
    module = serializers.CharField(max_length=120)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=MAX_TEXT)
    severity = serializers.ChoiceField(choices=Severity.choices)
    business_impact = serializers.CharField(max_length=MAX_TEXT)
    assignee = ProjectMemberField(
        allow_null=True, help_text=gettext_lazy("Username of someone of the support team.")
    )
    comment = serializers.CharField(
        allow_blank=True,
        max_length=MAX_TEXT,
        required=False,
        help_text=gettext_lazy("Why; kept in the ticket's history."),
    )


class TicketCreateSerializer(serializers.Serializer):
    project = serializers.CharField(help_text=gettext_lazy("The project's code."))
    module = serializers.CharField(max_length=120)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=MAX_TEXT)
    severity = serializers.ChoiceField(choices=Severity.choices)
    business_impact = serializers.CharField(
        max_length=MAX_TEXT,
        help_text=gettext_lazy(
            "Who cannot do what, and what it costs: orders, invoices, customers."
        ),
    )
    assignee = ProjectMemberField(
        allow_null=True,
        required=False,
        default=None,
        help_text=gettext_lazy("Username of someone of the support team."),
    )


class TicketTransitionSerializer(serializers.Serializer):
    status = TicketStatusField()
    comment = serializers.CharField(
        allow_blank=True,
        max_length=MAX_TEXT,
        required=False,
        default="",
        help_text=gettext_lazy("Required to reopen a resolved or closed ticket."),
    )


class TicketCommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_TEXT)


class TicketAttachmentCreateSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=gettext_lazy("PNG, JPEG, PDF, XLSX or text, 10 MB."))


class TicketConvertSerializer(serializers.Serializer):
    cycle = serializers.IntegerField(
        min_value=1,
        max_value=MAX_PK,
        allow_null=True,
        required=False,
        default=None,
        help_text=gettext_lazy("pk of a test cycle of the project the defect belongs to."),
    )


class TicketLinkChangeSerializer(serializers.Serializer):
    configuration_change = serializers.CharField(
        max_length=20,
        help_text=gettext_lazy("The change's number in the project's log: CFG-12 or 12."),
    )

    def validate_configuration_change(self, value: str) -> int:
        number = value.strip().upper().removeprefix("CFG-").strip()
        if not number.isdigit() or not 1 <= int(number) <= LARGEST_NUMBER:
            raise serializers.ValidationError(_("Give a change's number, e.g. CFG-12."))
        return int(number)


# --- The viewsets ---------------------------------------------------------------------------


@declare(POLICY)
class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Support tickets of the projects you belong to, newest first. Filter with
    ?project=CODE, status, open (true/false), severity, module, assignee (username or
    `none`) and breached (true/false)."""

    lookup_value_regex = r"\d+"
    serializer_class = TicketSerializer
    filterset_class = TicketFilter
    ordering_fields = ["number", "severity", "status", "created_at", "updated_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return tickets_visible_to(self.request.user)

    def get_object(self):
        return first_or_404(
            self.get_queryset(), self.kwargs["pk"], _("No ticket matches the given query.")
        )

    def _reply(self, ticket, code=status.HTTP_200_OK) -> Response:
        ticket = self.get_queryset().get(pk=ticket.pk)
        return Response(TicketSerializer(ticket).data, status=code)

    def _for_support(self) -> Ticket:
        ticket = self.get_object()
        if not policy.can_handle_tickets(self.request.user, ticket.project):
            raise ApiPermissionDenied(_("Only the support team does this."))
        return ticket

    def _for_commenting(self) -> Ticket:
        ticket = self.get_object()
        if not may_comment(self.request.user, ticket.project):
            raise ApiPermissionDenied(
                _("Your role on this project does not allow you to comment or attach files.")
            )
        return ticket

    @extend_schema(request=TicketCreateSerializer, responses={201: TicketSerializer})
    def create(self, request):
        """Raise a ticket (the ERP's help button does this with a member's token); its SLA
        clocks start now."""
        data = body_of(request)
        project = project_for_writing(request.user, data.get("project"))
        policy.ensure(request.user, project, Capability.RAISE_TICKETS)
        serializer = TicketCreateSerializer(data=data, context={"project": project})
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("project")
        ticket = services.ticket_raise(
            actor=request.user, project=project, source=TicketSource.API, **fields
        )
        return self._reply(ticket, status.HTTP_201_CREATED)

    @extend_schema(request=TicketUpdateSerializer, responses={200: TicketSerializer})
    def partial_update(self, request, pk=None):
        """Edit a ticket (support team); a severity change works both due times out again."""
        ticket = self._for_support()
        serializer = TicketUpdateSerializer(
            data=body_of(request), partial=True, context={"project": ticket.project}
        )
        serializer.is_valid(raise_exception=True)
        ticket = services.ticket_update(
            actor=request.user, ticket=ticket, **serializer.validated_data
        )
        return self._reply(ticket)

    @extend_schema(request=TicketTransitionSerializer, responses={200: TicketSerializer})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the ticket: the support team along the workflow, the reporter to close or
        reopen a resolved ticket. Reopening needs a comment and restarts the resolution
        clock."""
        ticket = self.get_object()
        if not (
            policy.can_handle_tickets(request.user, ticket.project)
            or ticket.reporter_id == request.user.pk
        ):
            raise ApiPermissionDenied(_("Only the support team or the reporter moves a ticket."))
        serializer = TicketTransitionSerializer(data=body_of(request))
        serializer.is_valid(raise_exception=True)
        ticket = services.ticket_transition(
            actor=request.user, ticket=ticket, **serializer.validated_data
        )
        return self._reply(ticket)

    @extend_schema(
        methods=["GET"], request=None, responses={200: TicketCommentSerializer(many=True)}
    )
    @extend_schema(
        methods=["POST"],
        request=TicketCommentCreateSerializer,
        responses={201: TicketCommentSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filter_backends=[],
        pagination_class=None,
    )
    def comments(self, request, pk=None):
        """The ticket's comments, oldest first; POST adds one."""
        if request.method == "GET":
            ticket = self.get_object()
            rows = ticket.comments.select_related("author").order_by("created_at", "pk")
            return Response(TicketCommentSerializer(rows, many=True).data)
        ticket = self._for_commenting()
        serializer = TicketCommentCreateSerializer(data=body_of(request))
        serializer.is_valid(raise_exception=True)
        comment = services.ticket_comment_add(
            actor=request.user, ticket=ticket, body=serializer.validated_data["body"]
        )
        return Response(TicketCommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: TicketEventSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def history(self, request, pk=None):
        """Every move and edit of the ticket, oldest first; never changed."""
        ticket = self.get_object()
        rows = ticket.events.select_related("actor").order_by("at", "pk")
        return Response(TicketEventSerializer(rows, many=True).data)

    @extend_schema(
        methods=["GET"], request=None, responses={200: TicketAttachmentSerializer(many=True)}
    )
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": TicketAttachmentCreateSerializer},
        responses={201: TicketAttachmentSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filter_backends=[],
        pagination_class=None,
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    def attachments(self, request, pk=None):
        """The ticket's files (metadata); POST uploads one as multipart `file`. The type is
        checked from the bytes."""
        if request.method == "GET":
            ticket = self.get_object()
            rows = ticket.attachments.select_related("uploaded_by").order_by("uploaded_at", "pk")
            return Response(TicketAttachmentSerializer(rows, many=True).data)
        ticket = self._for_commenting()
        body_of(request)
        attachment = services.ticket_attach(
            actor=request.user, ticket=ticket, upload=request.FILES.get("file")
        )
        return Response(TicketAttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TicketConvertSerializer, responses={200: TicketSerializer})
    @action(detail=True, methods=["post"], url_path="convert-to-defect")
    def convert_to_defect(self, request, pk=None):
        """Log the ticket as a defect of the project (support team); the fix then follows
        the defect workflow."""
        ticket = self._for_support()
        serializer = TicketConvertSerializer(data=body_of(request))
        serializer.is_valid(raise_exception=True)
        cycle = None
        cycle_pk = serializer.validated_data["cycle"]
        if cycle_pk is not None:
            cycle = TestCycle.objects.filter(project=ticket.project, pk=cycle_pk).first()
            if cycle is None:
                raise serializers.ValidationError(
                    {"cycle": [_("Choose a test cycle of this project.")]}
                )
        ticket = services.ticket_convert_to_defect(actor=request.user, ticket=ticket, cycle=cycle)
        return self._reply(ticket)

    @extend_schema(request=TicketLinkChangeSerializer, responses={200: TicketSerializer})
    @action(detail=True, methods=["post"], url_path="link-change")
    def link_change(self, request, pk=None):
        """Name the configuration change that fixed the ticket (support team)."""
        ticket = self._for_support()
        serializer = TicketLinkChangeSerializer(data=body_of(request))
        serializer.is_valid(raise_exception=True)
        change = ConfigurationChange.objects.filter(
            project=ticket.project, number=serializer.validated_data["configuration_change"]
        ).first()
        if change is None:
            raise serializers.ValidationError(
                {"configuration_change": [_("This project's log has no such change.")]}
            )
        ticket = services.ticket_link_change(actor=request.user, ticket=ticket, change=change)
        return self._reply(ticket)


@declare(BOARD_POLICY)
class TicketBoardViewSet(viewsets.GenericViewSet):
    """The support team's triage board of a project: open tickets by severity, breaching
    soonest first (overdue on top)."""

    lookup_field = "code"
    lookup_value_regex = "[A-Za-z0-9-]+"
    pagination_class = None
    filter_backends: list = []
    serializer_class = TicketBoardSerializer

    def get_queryset(self):  # only for the schema; reads go through project_get
        return Project.objects.none()

    @extend_schema(responses={200: TicketBoardSerializer})
    def retrieve(self, request, code=None):
        project = project_get(user=request.user, code=code.upper())
        columns = hypercare.board(project, timezone.now())
        return Response(
            TicketBoardSerializer(
                {
                    "project": project.code,
                    "columns": [
                        {
                            "severity": severity,
                            "label": str(Severity(severity).label),
                            "tickets": columns[severity],
                        }
                        for severity in Severity.values
                    ],
                }
            ).data
        )


def register(router) -> None:
    """Add this area's viewsets to the API router."""
    router.register("tickets", TicketViewSet, basename="ticket")
    router.register("ticket-board", TicketBoardViewSet, basename="ticket-board")
