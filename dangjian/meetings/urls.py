from django.urls import path

from dangjian.meetings import plans, views

app_name = "meetings"

urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("new/", views.meeting_create, name="create"),
    path("plans/", plans.plans, name="plans"),
    path("plans/<int:pk>/edit/", plans.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/cancel/", plans.plan_cancel, name="plan_cancel"),
    path("roster/", views.roster_fragment, name="roster"),
    path("calendar/", views.meeting_calendar, name="calendar"),
    path("todo/", views.todo_panel, name="todo"),
    path("absences/", views.absence_cases, name="absences"),
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/edit/", views.meeting_edit, name="edit"),
    path("<int:pk>/delete/", views.meeting_delete, name="delete"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
