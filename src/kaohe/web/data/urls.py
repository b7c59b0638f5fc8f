from django.urls import path

from kaohe.web.data import views

app_name = "data"
urlpatterns: list = []
