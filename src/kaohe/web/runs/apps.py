from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "kaohe.web.runs"
    label = "runs"
