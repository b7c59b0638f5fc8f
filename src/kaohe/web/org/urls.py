from django.urls import path

from kaohe.web.org import views

app_name = "org"
urlpatterns: list = []
