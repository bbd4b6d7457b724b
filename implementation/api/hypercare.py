"""API of hypercare beyond the tickets: the overview with the exit criteria and the plan,
SLA targets, the weekly feedback round and module reviews.

GET /hypercare/{code}/ is the overview (implementation.hypercare): the planned end, the
four exit criteria computed from the tickets and the feedback (each green or red with its
numbers and, when red, the reasons in words), the last complete weeks (tickets raised and
resolved, SLA breaches, average satisfaction) and the open tickets by severity. PATCH
changes the plan (working hours for the SLA clocks, public holidays, exit thresholds) and
needs manage_hypercare, like SLA targets and module reviews. The weekly feedback round is
answered by pilot and key users and digital champions; every member reads the answers,
without the respondents' names.

Outsiders get 404 for anything of a project they do not belong to (and no rows in lists);
a member whose role does not allow the action gets 403 before the rest of the input is
read; bad input is a 400 with field keys. No PUT, no DELETE.
"""

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from implementation import hypercare
from implementation.api.golive_migration import enum_field, project_filter, visible
from implementation.api.golive_readiness import NumberOrTextField
from implementation.choices import OPEN_TICKET_STATUSES, ReviewDecision, SlaUnit
from implementation.models import FeedbackResponse, HypercarePlan, ModuleReview, SlaTarget, Ticket
from implementation.services import hypercare as services
from kpis.api.kpis import body_of, project_for_writing
from projects import policy
from projects.models import Project
from projects.policy import Capability, declare
from projects.selectors import project_get
from uat.choices import Severity
from uat.snapshots import criterion_label

OVERVIEW_POLICY = (
    "project members read the hypercare overview; changing the plan needs manage_hypercare"
)
TARGETS_POLICY = "project members read SLA targets; setting one needs manage_hypercare"
FEEDBACK_POLICY = (
    "project members read the weekly feedback; pilot and key users and champions answer it"
)
REVIEWS_POLICY = "project members read module reviews; recording one needs manage_hypercare"
SlaUnitField = enum_field(SlaUnit, "SlaUnitEnum")
ReviewDecisionField = enum_field(ReviewDecision, "ReviewDecisionEnum")
MAX_TEXT = 10_000
MAX_HOLIDAYS = 366


# --- Output: the overview -------------------------------------------------------------------


class HypercarePlanSerializer(serializers.ModelSerializer):
    planned_end = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("Null: three months after go-live."),
    )
    holidays = serializers.ListField(
        child=serializers.DateField(),
        read_only=True,
        help_text=gettext_lazy("Days the SLA clocks do not run."),
    )
    updated_by = serializers.CharField(
        source="updated_by.username", read_only=True, allow_null=True
    )
    updated_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("Null while the plan still has its defaults."),
    )

    class Meta:
        model = HypercarePlan
        fields = [
            "planned_end",
            "work_starts",
            "work_ends",
            "working_days",
            "holidays",
            "sla_weeks",
            "inflow_weeks",
            "satisfaction_threshold",
            "updated_by",
            "updated_at",
        ]
        read_only_fields = fields


class HypercareExitCriterionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    met = serializers.BooleanField()
    actual = NumberOrTextField()
    threshold = NumberOrTextField()
    reasons = serializers.ListField(
        child=serializers.CharField(), help_text=gettext_lazy("Why it is red; empty when green.")
    )


class HypercareWeekSerializer(serializers.Serializer):
    week = serializers.DateField(source="start", help_text=gettext_lazy("Its Monday."))
    raised = serializers.IntegerField()
    resolved = serializers.IntegerField()
    breaches = serializers.IntegerField(
        help_text=gettext_lazy("Response and resolution SLAs that fell due that week, missed.")
    )
    satisfaction = serializers.DecimalField(
        max_digits=2,
        decimal_places=1,
        allow_null=True,
        help_text=gettext_lazy("Average of the week's feedback (1-5); null without answers."),
    )
    answers = serializers.IntegerField()


class OpenTicketsBySeveritySerializer(serializers.Serializer):
    critical = serializers.IntegerField()
    high = serializers.IntegerField()
    medium = serializers.IntegerField()
    low = serializers.IntegerField()


class HypercareOverviewSerializer(serializers.Serializer):
    project = serializers.CharField()
    planned_end = serializers.DateField(
        help_text=gettext_lazy("The plan's end, or three months after go-live.")
    )
    exit_ready = serializers.BooleanField(help_text=gettext_lazy("Every exit criterion is met."))
    exit_criteria = HypercareExitCriterionSerializer(many=True)
    weeks = HypercareWeekSerializer(
        many=True, help_text=gettext_lazy("The last complete weeks, oldest first.")
    )
    open_tickets = OpenTicketsBySeveritySerializer(
        help_text=gettext_lazy("Open tickets by severity.")
    )
    plan = HypercarePlanSerializer()


def overview_of(project: Project) -> dict:
    facts = hypercare.exit_facts(project)
    criteria = hypercare.evaluate_exit(facts)
    open_tickets = dict.fromkeys(Severity.values, 0)
    for severity, count in (
        Ticket.objects.filter(project=project, status__in=OPEN_TICKET_STATUSES)
        .order_by()
        .values_list("severity")
        .annotate(count=Count("pk"))
    ):
        open_tickets[severity] = count
    return {
        "project": project.code,
        "planned_end": facts.planned_end,
        "exit_ready": all(criterion.met for criterion in criteria),
        "exit_criteria": [
            {
                "key": criterion.key,
                "label": criterion_label(criterion.key),
                "met": criterion.met,
                "actual": criterion.actual,
                "threshold": criterion.threshold,
                "reasons": hypercare.exit_reasons(criterion.key, facts),
            }
            for criterion in criteria
        ],
        "weeks": facts.history,
        "open_tickets": open_tickets,
        "plan": services.hypercare_plan_of(project),
    }


# --- Input: the plan ------------------------------------------------------------------------


class HypercarePlanUpdateSerializer(serializers.Serializer):
    planned_end = serializers.DateField(
        allow_null=True, help_text=gettext_lazy("Null: three months after go-live.")
    )
    work_starts = serializers.TimeField()
    work_ends = serializers.TimeField()
    working_days = serializers.CharField(
        max_length=13,
        help_text=gettext_lazy("Weekdays the support team works, Monday = 0: e.g. 0,1,2,3,4."),
    )
    holidays = serializers.ListField(
        child=serializers.DateField(),
        max_length=MAX_HOLIDAYS,
        help_text=gettext_lazy("Public holidays (YYYY-MM-DD): the SLA clocks do not run."),
    )
    sla_weeks = serializers.IntegerField(min_value=1, max_value=26)
    inflow_weeks = serializers.IntegerField(min_value=1, max_value=26)
    satisfaction_threshold = serializers.DecimalField(
        max_digits=3, decimal_places=1, min_value=1, max_value=5
    )


# --- SLA targets, feedback, module reviews --------------------------------------------------


class SlaTargetSerializer(serializers.Serializer):
    project = serializers.CharField()
    severity = serializers.ChoiceField(choices=Severity.choices)
    response_value = serializers.IntegerField()
    response_unit = SlaUnitField()
    resolution_value = serializers.IntegerField()
    resolution_unit = SlaUnitField()
    is_default = serializers.BooleanField(
        help_text=gettext_lazy("The project has not set its own target for this severity.")
    )


class SlaTargetInputSerializer(serializers.Serializer):
    project = serializers.CharField(help_text=gettext_lazy("The project's code."))
    severity = serializers.ChoiceField(choices=Severity.choices)
    response_value = serializers.IntegerField(min_value=1, max_value=999)
    response_unit = SlaUnitField()
    resolution_value = serializers.IntegerField(min_value=1, max_value=999)
    resolution_unit = SlaUnitField()


def target_rows(project: Project) -> list[dict]:
    """The four severities' targets, the project's own or the defaults."""
    own = set(SlaTarget.objects.filter(project=project).values_list("severity", flat=True))
    rows = []
    for severity, (response, resolution) in services.targets(project).items():
        rows.append(
            {
                "project": project.code,
                "severity": severity,
                "response_value": response[0],
                "response_unit": response[1],
                "resolution_value": resolution[0],
                "resolution_unit": resolution[1],
                "is_default": severity not in own,
            }
        )
    order = {severity: n for n, severity in enumerate(Severity.values)}
    return sorted(rows, key=lambda row: order[row["severity"]])


class FeedbackFilter(django_filters.FilterSet):
    project = project_filter()
    week = django_filters.DateFilter(
        method="filter_week", label=gettext_lazy("Week (any day of it)")
    )

    class Meta:
        model = FeedbackResponse
        fields = ["project", "week"]

    def filter_week(self, queryset, name, value):
        return queryset.filter(week=services.week_of(value))


class FeedbackSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    week = serializers.DateField(read_only=True, help_text=gettext_lazy("Its Monday."))
    mine = serializers.SerializerMethodField()

    class Meta:
        model = FeedbackResponse
        fields = [
            "pk",
            "project",
            "week",
            "department",
            "satisfaction",
            "blockers",
            "helps",
            "submitted_at",
            "mine",
        ]
        read_only_fields = fields

    def get_mine(self, response) -> bool:
        """Your own answer (the respondents' names are not shown)."""
        request = self.context.get("request")
        return request is not None and response.respondent_id == request.user.pk


class FeedbackInputSerializer(serializers.Serializer):
    project = serializers.CharField(help_text=gettext_lazy("The project's code."))
    satisfaction = serializers.IntegerField(
        min_value=1, max_value=5, help_text=gettext_lazy("1 (very unhappy) to 5 (very happy).")
    )
    blockers = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=MAX_TEXT
    )
    helps = serializers.CharField(allow_blank=True, required=False, default="", max_length=MAX_TEXT)


class ModuleReviewFilter(django_filters.FilterSet):
    project = project_filter()
    module = django_filters.CharFilter(lookup_expr="iexact", label=gettext_lazy("Module"))

    class Meta:
        model = ModuleReview
        fields = ["project", "module"]


class ModuleReviewSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    decision = ReviewDecisionField(read_only=True)
    reviewer = serializers.CharField(source="reviewer.username", read_only=True)

    class Meta:
        model = ModuleReview
        fields = ["pk", "project", "module", "reviewed_on", "decision", "note", "reviewer"]
        read_only_fields = fields


class ModuleReviewInputSerializer(serializers.Serializer):
    project = serializers.CharField(help_text=gettext_lazy("The project's code."))
    module = serializers.CharField(max_length=120)
    decision = ReviewDecisionField()
    note = serializers.CharField(max_length=MAX_TEXT)
    reviewed_on = serializers.DateField(
        allow_null=True,
        required=False,
        default=None,
        help_text=gettext_lazy("Empty: today. Not in the future."),
    )


# --- The viewsets ---------------------------------------------------------------------------


@declare(OVERVIEW_POLICY)
class HypercareViewSet(viewsets.GenericViewSet):
    """A project's hypercare: planned end, exit criteria, the last weeks, open tickets by
    severity, and the plan behind them."""

    lookup_field = "code"
    lookup_value_regex = "[A-Za-z0-9-]+"
    pagination_class = None
    filter_backends: list = []
    serializer_class = HypercareOverviewSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):  # only for the schema; reads go through project_get
        return Project.objects.none()

    def _project(self, code: str) -> Project:
        return project_get(user=self.request.user, code=code.upper())

    def _reply(self, project: Project) -> Response:
        return Response(HypercareOverviewSerializer(overview_of(project)).data)

    @extend_schema(responses={200: HypercareOverviewSerializer})
    def retrieve(self, request, code=None):
        return self._reply(self._project(code))

    @extend_schema(
        request=HypercarePlanUpdateSerializer, responses={200: HypercareOverviewSerializer}
    )
    def partial_update(self, request, code=None):
        """Change the plan: working hours and holidays apply to tickets raised afterwards;
        the exit thresholds at once."""
        project = self._project(code)
        policy.ensure(request.user, project, Capability.MANAGE_HYPERCARE)
        serializer = HypercarePlanUpdateSerializer(data=body_of(request), partial=True)
        serializer.is_valid(raise_exception=True)
        services.hypercare_plan_update(
            actor=request.user, project=project, **serializer.validated_data
        )
        return self._reply(project)


@declare(TARGETS_POLICY)
class SlaTargetViewSet(viewsets.GenericViewSet):
    """SLA targets of a project, one per severity: the project's own or the defaults."""

    pagination_class = None
    filter_backends: list = []
    serializer_class = SlaTargetSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):  # only for the schema; reads go through project_get
        return SlaTarget.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "project", OpenApiTypes.STR, required=True, description="The project's code."
            )
        ],
        responses={200: SlaTargetSerializer(many=True)},
    )
    def list(self, request):
        code = request.query_params.get("project", "").strip()
        if not code:
            raise serializers.ValidationError({"project": [_("This field is required.")]})
        project = Project.objects.visible_to(request.user).filter(code__iexact=code).first()
        if project is None:  # an outsider sees no rows, as in every list
            return Response([])
        return Response(SlaTargetSerializer(target_rows(project), many=True).data)

    @extend_schema(request=SlaTargetInputSerializer, responses={200: SlaTargetSerializer})
    def create(self, request):
        """Set one severity's targets; tickets raised from now on are held to them."""
        data = body_of(request)
        project = project_for_writing(request.user, data.get("project"))
        policy.ensure(request.user, project, Capability.MANAGE_HYPERCARE)
        serializer = SlaTargetInputSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("project")
        target = services.sla_target_set(actor=request.user, project=project, **fields)
        row = next(row for row in target_rows(project) if row["severity"] == target.severity)
        return Response(SlaTargetSerializer(row).data)


@declare(FEEDBACK_POLICY)
class FeedbackViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Answers to the weekly feedback rounds of your projects, newest week first. Filter
    with ?project=CODE and week (any day of it)."""

    serializer_class = FeedbackSerializer
    filterset_class = FeedbackFilter
    ordering_fields = ["week", "satisfaction", "submitted_at"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[FeedbackResponse]:
        return (
            visible(FeedbackResponse.objects.all(), self.request.user)
            .select_related("project")
            .order_by("project__code", "-week", "department", "pk")
        )

    @extend_schema(
        request=FeedbackInputSerializer,
        responses={201: FeedbackSerializer, 200: FeedbackSerializer},
    )
    def create(self, request):
        """Answer this week's round (pilot and key users, champions); answering again the
        same week replaces the answer (200 instead of 201)."""
        data = body_of(request)
        project = project_for_writing(request.user, data.get("project"))
        if not policy.can_answer_feedback(request.user, project):
            raise PermissionDenied(
                _("The weekly feedback round asks pilot and key users and digital champions.")
            )
        serializer = FeedbackInputSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        week = services.week_of(project.local_today())
        answered = FeedbackResponse.objects.filter(
            project=project, week=week, respondent=request.user
        ).exists()
        fields = dict(serializer.validated_data)
        fields.pop("project")
        response = services.feedback_answer(actor=request.user, project=project, **fields)
        response.project = project
        return Response(
            FeedbackSerializer(response, context={"request": request}).data,
            status=status.HTTP_200_OK if answered else status.HTTP_201_CREATED,
        )


@declare(REVIEWS_POLICY)
class ModuleReviewViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Reviews of each module's adoption in your projects, newest first per module. Filter
    with ?project=CODE and module."""

    serializer_class = ModuleReviewSerializer
    filterset_class = ModuleReviewFilter
    ordering_fields = ["reviewed_on", "module"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[ModuleReview]:
        return (
            visible(ModuleReview.objects.all(), self.request.user)
            .select_related("project", "reviewer")
            .order_by("project__code", "module", "-reviewed_on", "-pk")
        )

    @extend_schema(request=ModuleReviewInputSerializer, responses={201: ModuleReviewSerializer})
    def create(self, request):
        """Record a review of one module with its decision; earlier reviews stay."""
        data = body_of(request)
        project = project_for_writing(request.user, data.get("project"))
        policy.ensure(request.user, project, Capability.MANAGE_HYPERCARE)
        serializer = ModuleReviewInputSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("project")
        review = services.module_review_record(actor=request.user, project=project, **fields)
        review = self.get_queryset().get(pk=review.pk)
        return Response(ModuleReviewSerializer(review).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    """Add this area's viewsets to the API router."""
    router.register("hypercare", HypercareViewSet, basename="hypercare")
    router.register("sla-targets", SlaTargetViewSet, basename="sla-target")
    router.register("feedback", FeedbackViewSet, basename="feedback")
    router.register("module-reviews", ModuleReviewViewSet, basename="module-review")
