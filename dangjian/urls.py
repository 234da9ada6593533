from django.urls import include, path

from dangjian.portal import views as portal_views

urlpatterns = [
    path("", portal_views.dashboard, name="dashboard"),
    path("", include("dangjian.portal.urls")),
    path("accounts/", include("dangjian.accounts.urls")),
    path("orgs/", include("dangjian.orgs.urls")),
    path("members/", include("dangjian.members.urls")),
    path("meetings/", include("dangjian.meetings.urls")),
    path("compliance/", include("dangjian.compliance.urls")),
    path("dues/", include("dangjian.dues.urls")),
    path("pipeline/", include("dangjian.pipeline.urls")),
    path("movements/", include("dangjian.movements.urls")),
    path("elections/", include("dangjian.elections.urls")),
    path("training/", include("dangjian.training.urls")),
    path("talks/", include("dangjian.talks.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
