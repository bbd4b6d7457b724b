from rest_framework.routers import SimpleRouter

from uat.api import cycles, defects, scenarios

router = SimpleRouter()
for area in (scenarios, cycles, defects):
    area.register(router)

urlpatterns = router.urls
