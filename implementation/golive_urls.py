"""Go-live readiness pages under /projects/<code>/go-live/: the readiness panel and the
go-live plan, data migration, the cutover plan and run-sheet, training and communication.

Each area keeps its routes next to its views; this module only puts them together.
"""

from implementation.views import cutover, migration, readiness, training

app_name = "golive"

urlpatterns = [
    *readiness.urlpatterns,
    *migration.urlpatterns,
    *cutover.urlpatterns,
    *training.urlpatterns,
]
