"""Go-live readiness pages: migration."""

urlpatterns: list = []
