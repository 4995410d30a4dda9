"""`Authorization: Token <token>`: the request acts as the token's service account (restapi.tokens)."""
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .tokens import token_user

KEYWORD = "Token"


class TokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None  # another scheme, or none: the session may authenticate the request
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Authorization 头应为“Token 令牌”。"))
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("令牌无效或已撤销。")) from None
        user = token_user(token)
        if user is None:
            raise exceptions.AuthenticationFailed(_("令牌无效或已撤销。"))
        return user, token

    def authenticate_header(self, request):
        return KEYWORD  # so an unauthenticated request is answered 401, not 403


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = TokenAuthentication
    name = "token"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Token <token>`: manage.py apitoken create OFFICE_CODE --name NAME"}
