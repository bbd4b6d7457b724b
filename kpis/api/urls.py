from rest_framework.routers import SimpleRouter

from kpis.api import kpis, measurements

router = SimpleRouter()
for area in (kpis, measurements):
    area.register(router)

urlpatterns = router.urls
