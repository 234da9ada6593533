from django.urls import path

from dangjian.portal import export_views, import_views, views

app_name = "portal"

urlpatterns = [
    path("audit/", views.audit_log, name="audit"),
    path("audit/orgs/", views.audit_orgs, name="audit_orgs"),
    path("audit/export.xlsx", views.audit_export, name="audit_export"),
    path("audit/verify/", views.audit_verify, name="audit_verify"),
    path("exports/<uuid:pk>/", export_views.export_job, name="export_job"),
    path("exports/<uuid:pk>/download/", export_views.export_download, name="export_download"),
    path("workbench/<int:pk>/", views.work_org, name="work_org"),
    path("workbench/<int:pk>/report.docx", views.report_docx, name="report_docx"),
    path("imports/", import_views.import_index, name="import_index"),
    path("imports/<str:kind>/", import_views.import_upload, name="import_upload"),
    path("imports/<str:kind>/template.xlsx", import_views.import_template, name="import_template"),
    path("imports/<str:kind>/commit/", import_views.import_commit, name="import_commit"),
]
