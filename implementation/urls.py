"""Pages under /projects/<code>/: phases, the configuration log, review meetings.

Each area keeps its routes next to its views; this module only puts them together.
"""

from implementation.views import configuration, phases, reminders, reviews

app_name = "implementation"

urlpatterns = [
    *phases.urlpatterns,
    *configuration.urlpatterns,
    *reviews.urlpatterns,
    *reminders.urlpatterns,
]
