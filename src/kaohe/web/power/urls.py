"""URLs of the power pages: dashboard, line-loss table, yearly payout sheet."""

from __future__ import annotations

from django.urls import URLPattern, path

from kaohe.web.power import views

app_name = "power"
urlpatterns: list[URLPattern] = [
    path("", views.dashboard, name="dashboard"),
    path("loss/", views.loss_table, name="loss"),
    path("payout/<int:pk>.xlsx", views.payout_xlsx, name="payout_xlsx"),
]
