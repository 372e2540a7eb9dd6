from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("workorders.api.urls")),
    path("accounts/", include("accounts.urls")),
    path("credentials/", include("credentials.urls")),
    path("demo-portal/", include("demoportal.urls")),
    path("", include("scheduling.urls")),
    path("", include("workorders.urls")),
]
