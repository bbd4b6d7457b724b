"""Go-live readiness pages: readiness."""

urlpatterns: list = []
