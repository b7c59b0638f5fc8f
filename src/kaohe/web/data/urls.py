"""URLs of the data app (app_name "data")."""

from django.urls import path

from kaohe.web.data import entry_views, views

app_name = "data"
urlpatterns = [
    path("", views.load_list, name="list"),
    path("upload/", views.upload, name="upload"),
    path("loads/<int:pk>/", views.load_detail, name="load"),
    path("loads/<int:pk>/errors.csv", views.load_errors_csv, name="load_errors"),
    path("inspections/", entry_views.inspection_list, name="inspections"),
    path("inspections/new/", entry_views.inspection_new, name="inspection_new"),
    path("inspections/<int:pk>/", entry_views.inspection_detail, name="inspection"),
    path("inspections/<int:pk>/photo", entry_views.inspection_photo, name="inspection_photo"),
    path("entry/", entry_views.entry, name="entry"),
]
