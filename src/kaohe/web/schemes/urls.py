"""URLs of the schemes app."""

from __future__ import annotations

from django.urls import URLPattern, path

from kaohe.web.schemes import views, whatif

app_name = "schemes"
urlpatterns: list[URLPattern] = [
    path("", views.scheme_list, name="list"),
    path("new/", views.scheme_new, name="new"),
    path("validate/", views.scheme_validate, name="validate"),
    path("sync/", views.scheme_sync, name="sync"),
    path("<slug:code>/", views.scheme_detail, name="detail"),
    path("<slug:code>/edit/", views.scheme_edit, name="edit"),
    path("<slug:code>/scope/", views.scheme_scope, name="scope"),
    path("<slug:code>/diff/", views.scheme_diff, name="diff"),
    path("<slug:code>/v<int:number>/", views.scheme_version, name="version"),
    path("<slug:code>/whatif/", whatif.scheme_whatif, name="whatif"),
]
