"""URLs of the appeals app (申诉)."""

from django.urls import path

from kaohe.web.appeals import views

app_name = "appeals"
urlpatterns = [
    path("", views.appeal_list, name="list"),
    path("new/<int:result_id>/", views.appeal_new, name="new"),
    path("<int:pk>/", views.appeal_detail, name="detail"),
    path("<int:pk>/decide/", views.appeal_decide, name="decide"),
    path("attachment/<int:pk>/", views.attachment_download, name="attachment"),
]
