from django.urls import path

from kaohe.web.notify import views

app_name = "notify"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read/", views.mark_read, name="read_all"),
    path("<int:pk>/read/", views.mark_read, name="read"),
]
