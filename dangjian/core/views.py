from django.http import HttpResponse

from dangjian.core.web import admin_required


@admin_required
def dashboard(request):  # placeholder: replaced by the dashboard page
    return HttpResponse("dashboard")


@admin_required
def audit_log(request):  # placeholder
    return HttpResponse("audit")
