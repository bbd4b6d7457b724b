"""Sign-off pages under /projects/<code>/sign-offs/: list, prepare, sign, PDF, verify."""

from uat.views import signoffs

app_name = "signoffs"

urlpatterns = signoffs.urlpatterns
