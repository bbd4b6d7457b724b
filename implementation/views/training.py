"""Go-live readiness pages: training."""

urlpatterns: list = []
