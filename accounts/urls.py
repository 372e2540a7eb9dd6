from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/", views.schedule_settings, name="settings"),
    path("settings/pause/", views.schedule_pause, name="schedule-pause"),
    path("settings/resume/", views.schedule_resume, name="schedule-resume"),
]
