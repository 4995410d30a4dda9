from django import template
from django.urls import reverse
from django.utils.http import urlencode

from ..oidc import enabled

register = template.Library()


@register.simple_tag
def sign_on_url(next_url=""):
    """The link that starts a single sign-on, coming back to `next_url`; "" while single sign-on is off."""
    if not enabled():
        return ""
    url = reverse("oidc_authentication_init")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url
