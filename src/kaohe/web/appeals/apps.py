from django.apps import AppConfig


class AppealsConfig(AppConfig):
    name = "kaohe.web.appeals"
    label = "appeals"
