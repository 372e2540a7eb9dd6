from django.apps import AppConfig


class DemoportalConfig(AppConfig):
    name = "demoportal"
    default_auto_field = "django.db.models.BigAutoField"
