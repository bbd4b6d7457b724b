"""KPI pages under /projects/<code>/kpis/: overview, KPI detail, measurements, reports."""

from kpis.views import pages

app_name = "kpis"

urlpatterns = pages.urlpatterns
