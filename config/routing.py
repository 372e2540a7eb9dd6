from django.urls import path

from scheduling.consumers import ProgressConsumer

websocket_urlpatterns: list = [
    path("ws/progress/", ProgressConsumer.as_asgi()),
]
