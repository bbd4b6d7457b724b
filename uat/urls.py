"""UAT pages under /projects/<code>/uat/: scenarios, cycles and runs, defects."""

from uat.views import cycles, defects, scenarios

app_name = "uat"

urlpatterns = [*scenarios.urlpatterns, *cycles.urlpatterns, *defects.urlpatterns]
