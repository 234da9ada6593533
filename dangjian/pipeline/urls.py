from django.urls import path

from dangjian.pipeline import views

app_name = "pipeline"

urlpatterns = [
    path("", views.branch_cases, name="index"),
    path("summary/", views.rollup, name="rollup"),
    path("new/", views.case_create, name="create"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/step/<int:step>/approver/", views.step_approver, name="step_approver"),
    path("<int:pk>/step/<int:step>/undo/", views.step_undo, name="step_undo"),
    path("<int:pk>/applicant/", views.applicant, name="applicant"),
]
