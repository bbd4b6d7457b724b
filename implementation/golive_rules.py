"""The arithmetic of go-live readiness, free of the database: reconciliation of a load,
cycles among cutover tasks, training coverage. Services, selectors and the readiness panel
call these; tests check them on their own.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from implementation.choices import Reconciliation

HUNDRED = Decimal(100)


# --- Reconciliation -------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadCheck:
    """What a load's numbers say: the gaps behind its reconciliation status."""

    status: Reconciliation
    missing: int  # records in source that did not arrive (rejected or lost)
    unaccounted: int  # of those, neither loaded nor rejected: lost on the way
    missing_percent: Decimal
    total_difference: Decimal | None  # target - source control total
    total_difference_percent: Decimal | None
    rejected_percent: Decimal


def _share(part: Decimal, whole: Decimal) -> Decimal:
    if whole == 0:
        return Decimal(0) if part == 0 else Decimal("Infinity")
    return abs(part) / abs(whole) * HUNDRED


def reconcile(
    *,
    source_count: int,
    loaded_count: int,
    rejected_count: int,
    source_total: Decimal | None,
    target_total: Decimal | None,
    tolerance_percent: Decimal,
) -> LoadCheck:
    """Reconciled when every source record arrived and the control totals match exactly;
    within tolerance when both the missing records and the control-total difference stay
    within the tolerance (per cent of the source); failed otherwise.

    Control totals are compared only when both are given.
    """
    missing = source_count - loaded_count
    unaccounted = source_count - loaded_count - rejected_count
    missing_percent = _share(Decimal(missing), Decimal(source_count))
    if source_total is not None and target_total is not None:
        difference = target_total - source_total
        difference_percent = _share(difference, source_total)
    else:
        difference = difference_percent = None
    if missing == 0 and not difference:
        status = Reconciliation.RECONCILED
    elif missing_percent <= tolerance_percent and (
        difference_percent is None or difference_percent <= tolerance_percent
    ):
        status = Reconciliation.WITHIN_TOLERANCE
    else:
        status = Reconciliation.FAILED
    return LoadCheck(
        status=status,
        missing=missing,
        unaccounted=unaccounted,
        missing_percent=missing_percent,
        total_difference=difference,
        total_difference_percent=difference_percent,
        rejected_percent=_share(Decimal(rejected_count), Decimal(source_count)),
    )


def cleaner_than(previous_rejected: Decimal, latest_rejected: Decimal) -> bool | None:
    """Is the data getting cleaner from one load to the next? None when unchanged."""
    if latest_rejected == previous_rejected:
        return None
    return latest_rejected < previous_rejected


# --- Cutover dependencies -------------------------------------------------------------------


def dependency_cycle(
    task: int | None, depends_on: Iterable[int], edges: Mapping[int, Iterable[int]]
) -> list[int] | None:
    """The cycle that giving `task` these dependencies would close, or None.

    `edges` maps each existing task to the tasks it depends on; `task` is None for a new
    task (which nothing depends on yet, so it cannot close a cycle except on itself).
    Returns the path task -> ... -> task, for the error message.
    """
    depends_on = list(depends_on)
    if task is None:
        return None
    if task in depends_on:
        return [task, task]
    graph = {key: list(value) for key, value in edges.items()}
    graph[task] = depends_on
    # Depth-first search from the task along "depends on"; reaching the task again is a cycle.
    stack: list[tuple[int, list[int]]] = [(dep, [task, dep]) for dep in depends_on]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if node == task:
            return path
        if node in seen:
            continue
        seen.add(node)
        stack.extend((nxt, [*path, nxt]) for nxt in graph.get(node, ()))
    return None


def topological_order(edges: Mapping[int, Iterable[int]]) -> list[int]:
    """Tasks so that each comes after everything it depends on (ties by number)."""
    remaining = {key: set(value) for key, value in edges.items()}
    order: list[int] = []
    while remaining:
        ready = sorted(key for key, deps in remaining.items() if not deps - set(order))
        if not ready:  # a cycle slipped in through the database: keep the rest by number
            order.extend(sorted(remaining))
            break
        order.extend(ready)
        for key in ready:
            del remaining[key]
    return order


# --- Training coverage ----------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    department: str
    planned: int  # end users of the department
    trained: int  # of them, attended at least one session

    @property
    def percent(self) -> Decimal:
        if not self.planned:
            return Decimal(0)
        # Rounded down: 89.95% must not read "90%" next to a 90% threshold it does not meet.
        share = Decimal(self.trained) * HUNDRED / Decimal(self.planned)
        return share.quantize(Decimal("0.1"), rounding=ROUND_DOWN)

    def meets(self, threshold: Decimal) -> bool:
        # Compared exactly, not on the rounded figure: 8.95 of 10 is not 90%.
        return self.planned > 0 and self.trained * HUNDRED >= threshold * self.planned


def coverage(planned: Mapping[str, int], trained: Mapping[str, int]) -> list[Coverage]:
    """Coverage per department, in the order of `planned`."""
    return [
        Coverage(dept, count, min(trained.get(dept, 0), count)) for dept, count in planned.items()
    ]


def total_coverage(rows: Iterable[Coverage]) -> Coverage:
    rows = list(rows)
    return Coverage("", sum(r.planned for r in rows), sum(r.trained for r in rows))


def percent_text(value: Decimal | None) -> str:
    if value is None:
        return "-"
    if value.is_infinite() or (isinstance(value, float) and math.isinf(value)):
        return "∞"
    return f"{value.quantize(Decimal('0.01')).normalize():f}"
