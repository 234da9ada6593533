from django.urls import path

from dangjian.talks import views

app_name = "talks"

urlpatterns = [
    path("", views.index, name="index"),
    path("talks/new/", views.talk_new, name="talk_new"),
    path("talks/<int:pk>/delete/", views.talk_delete, name="talk_delete"),
    path("pairs/new/", views.pair_new, name="pair_new"),
    path("pairs/<int:pk>/end/", views.pair_end, name="pair_end"),
    path("groups/new/", views.group_new, name="group_new"),
    path("groups/<int:pk>/", views.group_detail, name="group"),
    path("groups/<int:pk>/members/", views.group_members, name="group_members"),
]
