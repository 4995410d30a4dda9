"""The product's settings, and an OpenID provider (django-oauth-toolkit) for the single sign-on tests to sign on with.
Its tables are made with the test database; its pages are served only under tests/sso_provider.py's URLs."""
from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "oauth2_provider"]
