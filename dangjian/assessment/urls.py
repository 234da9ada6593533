from django.urls import path

from dangjian.assessment import views

app_name = "assessment"

urlpatterns = [
    path("scheme/", views.scheme, name="scheme"),
]
