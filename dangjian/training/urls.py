from django.urls import path

from dangjian.training import views

app_name = "training"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/participants/", views.add, name="add_participants"),
    path("<int:pk>/participants/<int:participant_pk>/remove/", views.remove, name="remove_participant"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/roster/", views.roster, name="roster"),
    path("hours/", views.hours, name="hours"),
    path("rollup/", views.rollup, name="rollup"),
    path("me/", views.secretary, name="secretary"),
]
