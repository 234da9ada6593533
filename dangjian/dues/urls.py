from django.urls import path

from dangjian.dues import views

app_name = "dues"

urlpatterns = [
    path("", views.collection_sheet, name="sheet"),
    path("export/", views.sheet_export, name="export"),
    path("collection-day/", views.collection_day, name="collection_day"),
    path("reminders/", views.reminder_list, name="reminders"),
    path("arrears/", views.arrears_list, name="arrears"),
    path("summary/", views.year_summary, name="summary"),
    path("publication/", views.publication, name="publication"),
    path("member/<int:pk>/", views.member_dues, name="member"),
    path("relief/<int:pk>/edit/", views.relief_edit, name="relief_edit"),
    path("relief/<int:pk>/delete/", views.relief_delete, name="relief_delete"),
    path("mine/", views.mine, name="mine"),
    path("calculator/", views.base_calculator, name="calculator"),
]
