from rest_framework.routers import SimpleRouter

from kpis.api import kpis

router = SimpleRouter()
kpis.register(router)

urlpatterns = router.urls
