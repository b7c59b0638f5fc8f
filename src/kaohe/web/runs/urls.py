from django.urls import path

from kaohe.web.runs import views

app_name = "runs"
urlpatterns: list = []
