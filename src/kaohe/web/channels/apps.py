from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "kaohe.web.channels"
    label = "channels"
    verbose_name = "渠道与专项看板"
