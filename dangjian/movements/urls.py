from django.urls import path

from dangjian.movements import views

app_name = "movements"

urlpatterns = [
    path("", views.index, name="index"),
    path("summary/", views.summary, name="summary"),
    path("member/<int:pk>/", views.member_page, name="member"),
    path("member/<int:pk>/status/", views.status_change, name="status"),
    path("member/<int:pk>/stint/", views.stint_start, name="stint_start"),
    path("member/<int:pk>/lost/", views.lost_record, name="lost"),
    path("member/<int:pk>/transfer/", views.transfer_start, name="transfer_start"),
    path("member/<int:pk>/transfer-out/", views.transfer_out, name="transfer_out"),
    path("stint/<int:pk>/return/", views.stint_return, name="stint_return"),
    path("stint/<int:pk>/contact/", views.stint_contact, name="contact"),
    path("stint/<int:pk>/purpose/", views.stint_purpose, name="stint_purpose"),
    path("stint/<int:pk>/decision/", views.stint_decision, name="stint_decision"),
    path("lost/<int:pk>/regained/", views.lost_regained, name="regained"),
    path("transfer/<int:pk>/", views.transfer_detail, name="transfer"),
    path("transfer/<int:pk>/accept/", views.transfer_accept, name="accept"),
    path("transfer/<int:pk>/return/", views.transfer_return, name="transfer_return"),
    path("transfer-in/", views.transfer_in, name="transfer_in"),
]
