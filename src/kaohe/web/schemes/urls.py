from django.urls import path

from kaohe.web.schemes import views

app_name = "schemes"
urlpatterns: list = []
