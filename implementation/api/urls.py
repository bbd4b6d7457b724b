from rest_framework.routers import SimpleRouter

from implementation.api import configuration, phases, reviews

router = SimpleRouter()
for area in (phases, configuration, reviews):
    area.register(router)

urlpatterns = router.urls
