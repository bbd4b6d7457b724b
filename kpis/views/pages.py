"""KPI pages (being written)."""

urlpatterns: list = []
