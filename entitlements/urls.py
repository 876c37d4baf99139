from django.urls import path

from . import views

app_name = "entitlements"
urlpatterns = [
    path("<str:code>/", views.renewal_request, name="renewal_request"),
]
