from django.urls import path

from . import views

urlpatterns = [
    path("", views.search_view, name="search"),
    path("suggest/", views.suggest_view, name="search_suggest"),
]
