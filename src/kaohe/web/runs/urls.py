"""URLs of the runs app: the run life cycle (views_runs) and the result pages (views_results)."""

from __future__ import annotations

from django.urls import URLPattern, path

from kaohe.web.runs import views_alerts, views_items, views_results, views_runs

app_name = "runs"
urlpatterns: list[URLPattern] = [
    # life cycle and publishing
    path("", views_runs.run_list, name="list"),
    path("new/", views_runs.run_new, name="new"),
    path("<int:pk>/", views_runs.run_detail, name="detail"),
    path("<int:pk>/progress/", views_runs.run_progress, name="progress"),
    path("<int:pk>/publish/", views_runs.run_publish, name="publish"),
    path("<int:pk>/notice.pdf", views_runs.notice_pdf, name="notice_pdf"),
    path("<int:pk>/notice.xlsx", views_runs.notice_xlsx, name="notice_xlsx"),
    # results (ranking, scorecard, trend, commission statement)
    path("<int:pk>/ranking/", views_results.ranking, name="ranking"),
    path("<int:pk>/ranking.xlsx", views_results.ranking_xlsx, name="ranking_xlsx"),
    path("<int:pk>/entity/<str:entity_id>/", views_results.scorecard, name="scorecard"),
    path("<int:pk>/entity/<str:entity_id>/facts/<str:code>/", views_results.facts,
         name="facts"),
    path("trend/<str:scheme>/<str:entity_id>/", views_results.trend, name="trend"),
    path("statement/", views_results.statement, name="statement"),
    # item runs (spec §8): read from the store page by page
    path("<int:pk>/items/", views_items.item_list, name="items"),
    path("<int:pk>/items.xlsx", views_items.items_xlsx, name="items_xlsx"),
    path("<int:pk>/items/<str:item_id>/", views_items.item_card, name="item"),
    # alerts (预警清单, spec §12)
    path("alerts/", views_alerts.alert_index, name="alert_index"),
    path("<int:pk>/alerts/", views_alerts.alerts, name="alerts"),
    path("<int:pk>/alerts.xlsx", views_alerts.alerts_xlsx, name="alerts_xlsx"),
]
