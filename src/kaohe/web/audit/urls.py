"""URLs of the audit app (审计日志)."""

from django.urls import path

from kaohe.web.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.changelog_list, name="list"),
    path("<int:pk>/", views.changelog_detail, name="detail"),
]
