from django.urls import path

from kaohe.web.appeals import views

app_name = "appeals"
urlpatterns: list = []
