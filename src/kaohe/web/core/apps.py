from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kaohe.web.core"
    label = "core"
    verbose_name = "kaohe"
