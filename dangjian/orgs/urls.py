from django.urls import path

from dangjian.orgs import views

app_name = "orgs"

# The party posts' pages (orgs:post_create, orgs:post_edit, orgs:post_delete, orgs:member_options,
# orgs:post_export) are the members app's views: `dangjian/urls.py` adds `members.urls.post_urlpatterns` to
# this namespace (orgs imports no app above it).

urlpatterns = [
    path("", views.org_tree, name="tree"),
    path("new/", views.org_create, name="create"),
    path("export.xlsx", views.org_export, name="export"),
    path("options/", views.org_options, name="options"),
    path("<int:pk>/", views.org_detail, name="detail"),
    path("<int:pk>/subtree/", views.org_subtree, name="subtree"),
    path("<int:pk>/edit/", views.org_edit, name="edit"),
    path("<int:pk>/delete/", views.org_delete, name="delete"),
]
