"""Parts of one project's reads that several builders share within a block.

A reminder dispatch builds a digest for every member of a project, seconds apart: the
agenda, the weekly status and the members' sections read the same rows (the project's
KPIs, for one). Inside `shared_project_parts` the first builder reads them and the others
reuse them; outside it every call reads afresh, as a page does.

Only the last project's parts are kept, so memory stays flat over a thousand projects.
"""

import contextlib
import contextvars
from collections.abc import Callable, Iterator

# {"project": pk, key: value} of the last project; None outside a block.
_parts: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "shared_project_parts", default=None
)


@contextlib.contextmanager
def shared_project_parts() -> Iterator[None]:
    if _parts.get() is not None:  # already inside a block: share its parts
        yield
        return
    token = _parts.set({})
    try:
        yield
    finally:
        _parts.reset(token)


def sharing() -> bool:
    return _parts.get() is not None


def shared(project, key: str, build: Callable):
    """build() once per project and key inside a block; every time outside one."""
    parts = _parts.get()
    if parts is None:
        return build()
    if parts.get("project") != project.pk:
        parts.clear()
        parts["project"] = project.pk
    if key not in parts:
        parts[key] = build()
    return parts[key]
