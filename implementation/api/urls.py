from rest_framework.routers import SimpleRouter

from implementation.api import (
    configuration,
    golive_cutover,
    golive_migration,
    golive_readiness,
    golive_training,
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
):
    area.register(router)

urlpatterns = router.urls
