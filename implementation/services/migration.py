"""Writes for data migration: the data objects moved from the legacy system and their loads.

Migration managers (project manager, consultants, IT: MANAGE_MIGRATION) keep the inventory
of data objects, each with a data owner from the team, and record trial (mock) and final
loads with their record counts and control totals. A load's reconciliation status is worked
out from its numbers and the object's tolerance at that moment
(implementation.golive_rules.reconcile) and stored with the tolerance used.

The data owner signs each load off (policy.can_sign_off_load); a failed load cannot be
signed off: the data is loaded again. A signed-off load is frozen; before that its numbers
can be corrected, which works the status out again.
"""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from implementation.choices import Reconciliation
from implementation.golive_rules import reconcile
from implementation.models import MigrationLoad, MigrationObject
from implementation.services.golive_common import (
    add,
    clean_fields,
    member_errors,
    raise_if,
    reject_unknown,
)
from projects import policy
from projects.models import Project, User
from projects.policy import Capability

OBJECT_FIELDS = (
    "name",
    "source_system",
    "owner",
    "mapping_notes",
    "cleansing_status",
    "control_total_label",
    "tolerance_percent",
)
LOAD_FIELDS = (
    "kind",
    "loaded_at",
    "source_count",
    "loaded_count",
    "rejected_count",
    "source_total",
    "target_total",
    "notes",
)
_DUPLICATE_NAME = "migration_object_name_per_project"
LARGEST_COUNT = 2_147_483_647


def _duplicate_name() -> dict[str, list[str]]:
    return {"name": [_("This project already has a data object of that name.")]}


def migration_object_create(*, actor: User, project: Project, **fields) -> MigrationObject:
    """Add a data object to the project's migration inventory."""
    reject_unknown(fields, OBJECT_FIELDS, "migration object")
    policy.ensure(actor, project, Capability.MANAGE_MIGRATION)
    obj = MigrationObject(project=project, created_by=actor, **fields)
    obj.name = (obj.name or "").strip()
    errors = member_errors(project, owner=fields.get("owner"))
    clean_fields(obj, exclude=["project", "created_by"], errors=errors)
    if obj.name and MigrationObject.objects.filter(project=project, name__iexact=obj.name).exists():
        errors.update(_duplicate_name())
    raise_if(errors)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as error:  # the same name added twice at the same moment
        raise ValidationError(_duplicate_name()) from error
    return obj


def migration_object_update(*, actor: User, obj: MigrationObject, **changes) -> MigrationObject:
    """Change a data object. Loads keep the tolerance they were checked with."""
    reject_unknown(changes, OBJECT_FIELDS, "migration object")
    project = obj.project
    policy.ensure(actor, project, Capability.MANAGE_MIGRATION)
    with transaction.atomic():
        locked = MigrationObject.objects.select_for_update().get(pk=obj.pk)
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.name = (locked.name or "").strip()
        errors = member_errors(project, owner=changes.get("owner"))
        clean_fields(locked, exclude=["project", "created_by"], errors=errors)
        if (
            "name" in changes
            and MigrationObject.objects.filter(project=project, name__iexact=locked.name)
            .exclude(pk=locked.pk)
            .exists()
        ):
            errors.update(_duplicate_name())
        raise_if(errors)
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError as error:
            raise ValidationError(_duplicate_name()) from error
    locked.project = project
    return locked


def _check_load(
    load: MigrationLoad, obj: MigrationObject, errors: dict, tolerance: Decimal | None = None
) -> None:
    """Field errors for numbers that cannot be true, then the reconciliation status against
    `tolerance` (the object's current one for a new load)."""
    clean_fields(
        load,
        exclude=["migration_object", "project", "recorded_by", "signed_off_by"],
        errors=errors,
    )
    counts = (load.source_count, load.loaded_count, load.rejected_count)
    for field in ("source_count", "loaded_count", "rejected_count"):
        value = getattr(load, field)
        # The largest count every database keeps (SQLite would take more, PostgreSQL not).
        if isinstance(value, int) and value > LARGEST_COUNT and field not in errors:
            add(
                errors,
                field,
                _("Ensure this value is less than or equal to %(limit)d.")
                % {"limit": LARGEST_COUNT},
            )
    if (
        all(isinstance(n, int) and n >= 0 for n in counts)
        and load.loaded_count + load.rejected_count > load.source_count
    ):
        add(
            errors,
            "loaded_count",
            _("Loaded and rejected records together cannot exceed the records in source."),
        )
    if load.loaded_at is not None and load.loaded_at > timezone.now():
        add(errors, "loaded_at", _("A load is recorded once it has run: not in the future."))
    given = (load.source_total is not None, load.target_total is not None)
    if any(given) and not all(given):
        field = "target_total" if given[0] else "source_total"
        add(errors, field, _("Give the control total in both source and target."))
    elif obj.control_total_label and not any(given):
        message = _("This object is checked by its control total (%(label)s): give both.") % {
            "label": obj.control_total_label
        }
        add(errors, "source_total", message)
    if errors:
        return
    load.tolerance_percent = obj.tolerance_percent if tolerance is None else tolerance
    load.reconciliation = reconcile(
        source_count=load.source_count,
        loaded_count=load.loaded_count,
        rejected_count=load.rejected_count,
        source_total=load.source_total,
        target_total=load.target_total,
        tolerance_percent=load.tolerance_percent,
    ).status


def load_record(*, actor: User, obj: MigrationObject, **fields) -> MigrationLoad:
    """Record a mock or final load of a data object with the next load number."""
    reject_unknown(fields, LOAD_FIELDS, "migration load")
    project = obj.project
    policy.ensure(actor, project, Capability.MANAGE_MIGRATION)
    fields.setdefault("rejected_count", 0)
    with transaction.atomic():
        # The object's row lock serialises load numbers (and reads the current tolerance).
        locked = MigrationObject.objects.select_for_update().get(pk=obj.pk)
        last = locked.loads.aggregate(last=Max("sequence"))["last"] or 0
        load = MigrationLoad(
            migration_object=locked,
            project=project,
            sequence=last + 1,
            recorded_by=actor,
            tolerance_percent=Decimal(0),
            reconciliation=Reconciliation.FAILED,
            **fields,
        )
        errors: dict[str, list[str]] = {}
        _check_load(load, locked, errors)
        raise_if(errors)
        load.save()
    load.migration_object = obj
    return load


def load_update(*, actor: User, load: MigrationLoad, **changes) -> MigrationLoad:
    """Correct a load's numbers before it is signed off; the status is worked out again,
    with the tolerance the load was recorded with."""
    reject_unknown(changes, LOAD_FIELDS, "migration load")
    project = load.project
    policy.ensure(actor, project, Capability.MANAGE_MIGRATION)
    with transaction.atomic():
        locked = MigrationLoad.objects.select_for_update().get(pk=load.pk)
        if locked.is_signed_off:
            raise ValidationError(
                _("This load is signed off by its data owner and can no longer change.")
            )
        obj = MigrationObject.objects.get(pk=locked.migration_object_id)
        for field, value in changes.items():
            setattr(locked, field, value)
        errors: dict[str, list[str]] = {}
        # A correction is checked against the tolerance the load was recorded with.
        _check_load(locked, obj, errors, tolerance=locked.tolerance_percent)
        raise_if(errors)
        locked.save()
    locked.project = project
    locked.migration_object = obj
    return locked


def load_sign_off(*, actor: User, load: MigrationLoad, comment: str = "") -> MigrationLoad:
    """The data owner accepts a load: its numbers are frozen from now on."""
    project = load.project
    policy.ensure(actor, project, Capability.VIEW_PROJECT)
    if not policy.can_sign_off_load(actor, load):
        raise PermissionDenied(
            _("Only the data owner of %(object)s signs its loads off.")
            % {"object": load.migration_object.name}
        )
    with transaction.atomic():
        locked = MigrationLoad.objects.select_for_update().get(pk=load.pk)
        if locked.is_signed_off:
            raise ValidationError(_("This load is already signed off."))
        if locked.reconciliation == Reconciliation.FAILED:
            raise ValidationError(
                _("A failed load cannot be signed off: correct the data and load it again.")
            )
        locked.signed_off_by = actor
        locked.signed_off_at = timezone.now()
        locked.sign_off_comment = comment.strip()
        locked.save(update_fields=["signed_off_by", "signed_off_at", "sign_off_comment"])
    locked.project = project
    locked.migration_object = load.migration_object
    return locked
