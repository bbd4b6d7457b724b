from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_create, name="create"),
    path("<str:code>/", views.project_detail, name="detail"),
    path("<str:code>/edit/", views.project_edit, name="edit"),
    path("<str:code>/team/", views.team, name="team"),
    path("<str:code>/team/coverage/", views.team_coverage, name="team-coverage"),
    path("<str:code>/team/add/", views.member_add, name="member-add"),
    path("<str:code>/team/<int:pk>/change/", views.member_change, name="member-change"),
    path("<str:code>/team/<int:pk>/remove/", views.member_remove, name="member-remove"),
]
