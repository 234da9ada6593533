from django.urls import path

from dangjian.orgs import views

app_name = "orgs"

urlpatterns = [
    path("", views.org_tree, name="tree"),
    path("new/", views.org_create, name="create"),
    path("export.xlsx", views.org_export, name="export"),
    path("posts/export.xlsx", views.post_export, name="post_export"),
    path("options/", views.org_options, name="options"),
    path("<int:pk>/", views.org_detail, name="detail"),
    path("<int:pk>/subtree/", views.org_subtree, name="subtree"),
    path("<int:pk>/edit/", views.org_edit, name="edit"),
    path("<int:pk>/delete/", views.org_delete, name="delete"),
    path("<int:pk>/posts/new/", views.post_create, name="post_create"),
    path("<int:pk>/member-options/", views.member_options, name="member_options"),
    path("posts/<int:pk>/edit/", views.post_edit, name="post_edit"),
    path("posts/<int:pk>/delete/", views.post_delete, name="post_delete"),
]
