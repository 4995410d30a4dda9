from django.apps import AppConfig


class RestApiConfig(AppConfig):
    name = "restapi"
    verbose_name = "REST API"
    default_auto_field = "django.db.models.BigAutoField"
