from rest_framework.routers import DefaultRouter

from projects.api.views import MembershipViewSet, ProjectViewSet

router = DefaultRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register("memberships", MembershipViewSet, basename="membership")

urlpatterns = router.urls
