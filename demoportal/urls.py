app_name = "demoportal"

urlpatterns: list = []
