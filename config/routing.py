from django.urls import path

websocket_urlpatterns: list = [
    # path("ws/progress/", ProgressConsumer.as_asgi()) — added by the web issue.
]
_ = path
