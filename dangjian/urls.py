from django.urls import include, path

from dangjian.members.urls import post_urlpatterns
from dangjian.orgs import urls as orgs_urls
from dangjian.portal import views as portal_views

# /orgs/: the organisation pages, and the party posts' pages of the members app in the same namespace
# (`orgs:post_create`, …): orgs imports nothing from members, the paths and names stay the same.
orgs_patterns = (orgs_urls.urlpatterns + post_urlpatterns, orgs_urls.app_name)

urlpatterns = [
    path("", portal_views.dashboard, name="dashboard"),
    path("", include("dangjian.portal.urls")),
    path("accounts/", include("dangjian.accounts.urls")),
    path("system/", include("dangjian.accounts.sysurls")),
    path("orgs/", include(orgs_patterns)),
    path("members/", include("dangjian.members.urls")),
    path("meetings/", include("dangjian.meetings.urls")),
    path("compliance/", include("dangjian.compliance.urls")),
    path("dues/", include("dangjian.dues.urls")),
    path("pipeline/", include("dangjian.pipeline.urls")),
    path("movements/", include("dangjian.movements.urls")),
    path("elections/", include("dangjian.elections.urls")),
    path("training/", include("dangjian.training.urls")),
    path("talks/", include("dangjian.talks.urls")),
    path("evaluations/", include("dangjian.evaluations.urls")),
    path("assessment/", include("dangjian.assessment.urls")),
    path("appraisals/", include("dangjian.appraisals.urls")),
    path("notifications/", include("dangjian.reminders.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler500 = "dangjian.core.error_views.server_error"
