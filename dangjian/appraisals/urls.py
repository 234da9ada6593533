from django.urls import path

from dangjian.appraisals import views

app_name = "appraisals"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/subjects/", views.add_subjects, name="subjects"),
    path("<int:pk>/items/", views.items, name="items"),
    path("<int:pk>/participants/", views.participants, name="participants"),
    path("<int:pk>/advance/", views.advance, name="advance"),
    path("<int:pk>/tallies/", views.tallies, name="tallies"),
    path("<int:pk>/summary.xlsx", views.summary_xlsx, name="summary_xlsx"),
    path("subjects/<int:pk>/", views.subject, name="subject"),
    path("subjects/<int:pk>/reported/", views.reported, name="reported"),
    path("subjects/<int:pk>/report/", views.report, name="report"),
    path("subjects/<int:pk>/remove/", views.remove_subject, name="remove_subject"),
    path("mine/", views.mine, name="mine"),
    path("<int:pk>/vote/", views.vote, name="vote"),
]
