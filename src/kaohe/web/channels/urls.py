"""URLs of the channels app (views.py)."""

from __future__ import annotations

from django.urls import URLPattern, path

from kaohe.web.channels import views

app_name = "channels"
urlpatterns: list[URLPattern] = [
    path("partners/", views.partners, name="partners"),
    path("partners/<str:unit_id>/statement/", views.statement, name="statement"),
    path("partners/<str:unit_id>/statement.xlsx", views.statement_xlsx, name="statement_xlsx"),
    path("warnings/", views.warnings, name="warnings"),
    path("warnings.xlsx", views.warnings_xlsx, name="warnings_xlsx"),
    path("warnings/<int:pk>/<str:item_id>/retain/", views.retain, name="retain"),
    path("dashboards/", views.dashboards, name="dashboards"),
    path("dashboards/<slug:regime>/", views.dashboard, name="dashboard"),
]
