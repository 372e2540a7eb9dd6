from django.urls import path

from credentials import views

app_name = "credentials"

urlpatterns = [
    path("", views.credentials_edit, name="edit"),
    path("test/", views.credentials_test, name="test"),
]
