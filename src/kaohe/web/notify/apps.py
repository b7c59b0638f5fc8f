from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "kaohe.web.notify"
    label = "notify"
    verbose_name = _("通知")

    def ready(self) -> None:
        from kaohe.web.notify import signals  # noqa: F401  (connects the receivers)
