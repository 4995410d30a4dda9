"""The identity service the single sign-on tests run: django-oauth-toolkit's OpenID provider under /o/, beside the
product's own pages (the tests' URL conf), giving each of its people the claims kept for them in CLAIMS."""
from django.urls import include, path
from oauth2_provider.oauth2_validators import OAuth2Validator

from config.urls import urlpatterns as product

CLAIMS = {}  # the provider's username -> the claims it gives besides sub (set by the tests)


class Validator(OAuth2Validator):
    oidc_claim_scope = None  # every claim in CLAIMS, whatever the scope, as the province's service is configured

    def get_additional_claims(self, request):
        return CLAIMS.get(request.user.get_username(), {})


urlpatterns = [path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")), *product]
