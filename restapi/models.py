"""API tokens: how another system calls the API, as a service account of one office."""
import hashlib
import secrets

from django.conf import settings
from django.db import models

# Recognisable in logs and by secret scanners; the rest is 256 random bits.
TOKEN_PREFIX = "sgf_"
# A request refreshes a token's last use when it is older than this: one write a minute, not one a request.
LAST_USE_RESOLUTION_SECONDS = 60


def token_digest(token):
    """What is stored of a token: its SHA-256. The token is random, so a slow hash would add nothing."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token():
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class ApiToken(models.Model):
    """A token of one office. Its service account (`token:NAME`, a member of that office only) is who the
    request acts as: it sees and does what the office's members would, and the audit trail names it."""

    name = models.CharField(max_length=100, unique=True)
    office = models.ForeignKey("workflows.Office", on_delete=models.PROTECT, related_name="api_tokens")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_token")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()  # on the engine's clock (restapi.tokens), which tests and simulations move
    created_by = models.CharField(max_length=150, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "API token"

    def __str__(self):
        return self.name

    @property
    def is_revoked(self):
        return self.revoked_at is not None
