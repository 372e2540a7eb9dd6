from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from workorders.api import apis

app_name = "api"

urlpatterns = [
    path("auth/token/", apis.AuthTokenObtainApi.as_view(), name="auth-token"),
    path("work-orders/", apis.WorkOrderListApi.as_view(), name="work-order-list"),
    path("work-orders/<int:work_order_id>/", apis.WorkOrderDetailApi.as_view(), name="work-order-detail"),
    path("runs/", apis.RunListApi.as_view(), name="run-list"),
    path("runs/<int:run_id>/", apis.RunDetailApi.as_view(), name="run-detail"),
    path("sync-now/", apis.RunSyncNowApi.as_view(), name="sync-now"),
    path("schedule/", apis.ScheduleDetailApi.as_view(), name="schedule-detail"),
    path("schedule/next-runs/", apis.ScheduleNextRunsApi.as_view(), name="schedule-next-runs"),
    path("credentials/", apis.CredentialsDetailApi.as_view(), name="credentials-detail"),
    path("credentials/test/", apis.CredentialsTestApi.as_view(), name="credentials-test"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
