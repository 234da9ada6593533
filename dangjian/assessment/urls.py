from django.urls import path

from dangjian.assessment import views

app_name = "assessment"

urlpatterns = [
    path("", views.index, name="index"),
    path("scheme/", views.scheme, name="scheme"),
    path("open/", views.open_round, name="open"),
    path("<int:year>/", views.round_page, name="round"),
    path("<int:year>/advance/", views.advance, name="advance"),
    path("<int:year>/export.xlsx", views.export, name="export"),
    path("<int:year>/units/<int:org>/", views.unit_page, name="unit"),
    path("<int:year>/units/<int:org>/<str:indicator>/self/", views.self_review, name="self_review"),
    path("<int:year>/units/<int:org>/<str:indicator>/score/", views.score, name="score"),
    path("reviews/<int:pk>/rule/", views.rule, name="rule"),
    path("<int:year>/rectification/<int:org>/", views.rectification, name="rectification"),
]
