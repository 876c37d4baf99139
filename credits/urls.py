from django.urls import path

from . import views

app_name = "credits"
urlpatterns = [
    path("", views.credits_page, name="page"),
    path("export.csv", views.credits_export, name="export"),
    path("redeem/", views.card_redeem, name="redeem"),
    path("bundles/", views.bundle_request, name="bundle_request"),
]
