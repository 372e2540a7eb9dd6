from django.urls import path

from workorders import views

app_name = "workorders"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("dashboard/card/", views.status_card, name="status-card"),
    path("sync-now/", views.sync_now, name="sync-now"),
    path("work-orders/", views.work_order_list, name="work-order-list"),
    path("work-orders/<int:pk>/", views.work_order_detail, name="work-order-detail"),
    path("runs/", views.run_list, name="run-list"),
    path("runs/<int:pk>/", views.run_detail, name="run-detail"),
    path("runs/<int:pk>/screenshot.png", views.run_screenshot, name="run-screenshot"),
    path("runs/<int:pk>/page.txt", views.run_html, name="run-html"),
]
