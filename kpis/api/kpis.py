"""KPI endpoints (being written)."""


def register(router) -> None:
    return None
