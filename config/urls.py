from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("restapi.urls")),
    path("oidc/", include("accounts.urls")),  # single sign-on (accounts/oidc.py)
    path("", include("webui.urls")),
]
