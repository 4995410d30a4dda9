from django.urls import path

from .oidc import CallbackView, SignOnView

# mozilla-django-oidc finds the callback by this name, to send it to the identity service as the redirect URI.
urlpatterns = [
    path("authenticate/", SignOnView.as_view(), name="oidc_authentication_init"),
    path("callback/", CallbackView.as_view(), name="oidc_authentication_callback"),
]
