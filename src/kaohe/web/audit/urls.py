from django.urls import path

from kaohe.web.audit import views

app_name = "audit"
urlpatterns: list = []
