from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kaohe.web.audit"
    label = "audit"

    def ready(self) -> None:
        from kaohe.web.audit import signals  # noqa: F401  (connects the receivers)
