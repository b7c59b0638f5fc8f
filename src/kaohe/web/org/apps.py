from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "kaohe.web.org"
    label = "org"
