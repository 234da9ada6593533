"""The pages of the system roles (三员分立), under /system/."""

from django.urls import path

from dangjian.accounts import sysviews

app_name = "system"

urlpatterns = [
    path("users/", sysviews.users, name="users"),
    path("users/new/", sysviews.user_new, name="user_new"),
    path("users/<int:pk>/", sysviews.user_detail, name="user_detail"),
    path("users/<int:pk>/password/", sysviews.user_password, name="user_password"),
    path("users/<int:pk>/active/", sysviews.user_active, name="user_active"),
    path("users/<int:pk>/grant/", sysviews.request_party_grant, name="request_party_grant"),
    path("orgs/options/", sysviews.org_options, name="org_options"),
    path("users/<int:pk>/system-role/", sysviews.request_system_grant, name="request_system_grant"),
    path("assignments/<int:pk>/revoke/", sysviews.request_party_revoke, name="request_party_revoke"),
    path("system-roles/<int:pk>/revoke/", sysviews.request_system_revoke, name="request_system_revoke"),
    path("requests/", sysviews.requests, name="requests"),
    path("requests/<int:pk>/decide/", sysviews.decide, name="decide"),
    path("security/", sysviews.security, name="security"),
]
