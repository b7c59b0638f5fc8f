from django.apps import AppConfig


class DataConfig(AppConfig):
    name = "kaohe.web.data"
    label = "data"
