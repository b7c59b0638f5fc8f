"""kaohe's URLs: one include per app, each app's urls.py names its own views."""

from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("", include("kaohe.web.core.urls")),
    path("accounts/", include("kaohe.web.accounts.urls")),
    path("org/", include("kaohe.web.org.urls")),
    path("schemes/", include("kaohe.web.schemes.urls")),
    path("data/", include("kaohe.web.data.urls")),
    path("runs/", include("kaohe.web.runs.urls")),
    path("appeals/", include("kaohe.web.appeals.urls")),
    path("audit/", include("kaohe.web.audit.urls")),
    path("channels/", include("kaohe.web.channels.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("power/", include("kaohe.web.power.urls")),
    path("notify/", include("kaohe.web.notify.urls")),
]
