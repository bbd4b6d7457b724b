"""Go-live readiness pages: cutover."""

urlpatterns: list = []
