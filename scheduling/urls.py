from django.urls import path

from scheduling.health import healthz

app_name = "scheduling"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
]
