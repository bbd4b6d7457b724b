"""Hypercare pages: tickets."""

urlpatterns: list = []
