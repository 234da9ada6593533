"""The site's URLs and one view that fails, for the 500 page's tests."""

from django.urls import path

from dangjian.urls import handler500
from dangjian.urls import urlpatterns as site_urlpatterns


def fails(request):
    raise RuntimeError("a failure inside a view")


urlpatterns = [*site_urlpatterns, path("fails/", fails)]

__all__ = ["handler500", "urlpatterns"]
