from django.apps import AppConfig


class PowerConfig(AppConfig):
    name = "kaohe.web.power"
    label = "power"
    verbose_name = "供电所考核 power-supply stations"
