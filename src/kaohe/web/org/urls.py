from django.urls import path

from kaohe.web.org import views

app_name = "org"
urlpatterns = [
    path("", views.units, name="units"),
    path("<str:pk>/", views.unit, name="unit"),
]
