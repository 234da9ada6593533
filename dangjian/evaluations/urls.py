from django.urls import path

from dangjian.evaluations import views

app_name = "evaluations"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.open_new, name="open"),
    path("new/branches/", views.open_for_branches, name="open_for_branches"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/advance/", views.advance, name="advance"),
    path("<int:pk>/grouping/", views.grouping, name="grouping"),
    path("<int:pk>/tallies/", views.tallies, name="tallies"),
    path("<int:pk>/grades/", views.grades, name="grades"),
    path("mine/", views.mine, name="mine"),
    path("<int:pk>/vote/", views.vote, name="vote"),
    path("<int:pk>/my-self-assessment/", views.own_self_assessment, name="own_self_assessment"),
    path("participants/<int:pk>/self/", views.self_assessment, name="self_assessment"),
    path("participants/<int:pk>/followup/", views.followup, name="followup"),
]
