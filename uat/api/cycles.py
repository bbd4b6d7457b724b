"""API of this area; filled in with the feature."""


def register(router) -> None:
    """Add this area's viewsets to the API router."""
