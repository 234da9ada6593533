from django.urls import path

from dangjian.compliance import views

app_name = "compliance"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("rows/", views.unit_rows, name="rows"),
    path("org/<int:pk>/", views.org_detail, name="org"),
    path("export/", views.export, name="export"),
    path("rules/", views.rules, name="rules"),
]
