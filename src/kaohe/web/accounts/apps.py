from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kaohe.web.accounts"
    label = "accounts"
