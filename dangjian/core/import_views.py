from django.http import HttpResponse

from dangjian.core.web import admin_required


@admin_required
def import_index(request):  # placeholder
    return HttpResponse("imports")


@admin_required
def import_upload(request, kind):  # placeholder
    return HttpResponse(kind)


@admin_required
def import_template(request, kind):  # placeholder
    return HttpResponse(kind)
