from rest_framework.routers import SimpleRouter

from implementation.api import (
    configuration,
    golive_cutover,
    golive_migration,
    golive_readiness,
    golive_training,
    hypercare,
    hypercare_tickets,
    phases,
    reviews,
)

router = SimpleRouter()
for area in (
    phases,
    configuration,
    reviews,
    golive_migration,
    golive_cutover,
    golive_training,
    golive_readiness,
    hypercare_tickets,
    hypercare,
):
    area.register(router)

urlpatterns = router.urls
