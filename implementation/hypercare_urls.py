"""Hypercare pages under /projects/<code>/hypercare/: support tickets and their triage
board, the weekly feedback round, module reviews, the SLA settings and the exit panel.

Each area keeps its routes next to its views; this module only puts them together.
"""

from implementation.views import hypercare, tickets

app_name = "hypercare"

urlpatterns = [*tickets.urlpatterns, *hypercare.urlpatterns]
