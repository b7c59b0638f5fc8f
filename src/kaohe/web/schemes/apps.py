from django.apps import AppConfig


class SchemesConfig(AppConfig):
    name = "kaohe.web.schemes"
    label = "schemes"
