"""Pages under /projects/<code>/: phases, the configuration log, review meetings,
weekly status reports.

Each area keeps its routes next to its views; this module only puts them together.
"""

from implementation.views import configuration, phases, reminders, reviews, status_reports

app_name = "implementation"

urlpatterns = [
    *phases.urlpatterns,
    *configuration.urlpatterns,
    *reviews.urlpatterns,
    *reminders.urlpatterns,
    *status_reports.urlpatterns,
]
