"""Hypercare pages: hypercare."""

urlpatterns: list = []
