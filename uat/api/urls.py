from rest_framework.routers import SimpleRouter

from uat.api import cycles, defects, scenarios, signoffs

router = SimpleRouter()
for area in (scenarios, cycles, defects, signoffs):
    area.register(router)

urlpatterns = router.urls
