from django.urls import path

from dangjian.members import views

app_name = "members"

urlpatterns = [
    path("", views.member_list, name="list"),
    path("new/", views.member_create, name="create"),
    path("export.xlsx", views.member_export, name="export"),
    path("birthdays/", views.birthday_list, name="birthdays"),
    path("<int:pk>/", views.member_detail, name="detail"),
    path("<int:pk>/edit/", views.member_edit, name="edit"),
    path("<int:pk>/reveal/", views.member_reveal, name="reveal"),
    path("<int:pk>/delete/", views.member_delete, name="delete"),
    path("<int:pk>/timeline/", views.member_timeline, name="timeline"),
    path("<int:pk>/birthday-card.pdf", views.birthday_card, name="birthday_card"),
]

# Party posts: pages of this app at /orgs/ paths in the orgs namespace (`orgs:post_create`, …), added to
# `dangjian.orgs.urls.urlpatterns` by `dangjian/urls.py`.
post_urlpatterns = [
    path("posts/export.xlsx", views.post_export, name="post_export"),
    path("<int:pk>/posts/new/", views.post_create, name="post_create"),
    path("<int:pk>/member-options/", views.member_options, name="member_options"),
    path("posts/<int:pk>/edit/", views.post_edit, name="post_edit"),
    path("posts/<int:pk>/delete/", views.post_delete, name="post_delete"),
]
