from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token

from config.health import healthz
from projects.views import home

api_v1 = [
    path("", include("projects.api.urls")),
    path("", include("implementation.api.urls")),
    path("", include("uat.api.urls")),
    path("", include("kpis.api.urls")),
    path("auth/token/", obtain_auth_token, name="token"),
]

handler404 = "config.api.page_not_found"

# Uploaded files are never served from MEDIA_URL: each feature serves its files through a
# view that asks the policy module first.
urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("projects/", include("projects.urls")),
    path("projects/<str:code>/", include("implementation.urls")),
    path("projects/<str:code>/uat/", include("uat.urls")),
    path("projects/<str:code>/kpis/", include("kpis.urls")),
    path("projects/<str:code>/sign-offs/", include("uat.signoff_urls")),
    path("projects/<str:code>/go-live/", include("implementation.golive_urls")),
    path("projects/<str:code>/hypercare/", include("implementation.hypercare_urls")),
    path("api/v1/", include((api_v1, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
