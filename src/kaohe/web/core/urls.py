from django.urls import path

from kaohe.web.core import views

app_name = "core"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
