from django.urls import path

from dangjian.elections import views

app_name = "elections"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/congress-approval/", views.congress_approval, name="congress_approval"),
    path("terms/<int:org_pk>/adjust/", views.adjust, name="adjust"),
]
