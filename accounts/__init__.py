"""Signing in: local passwords, throttled per account and per address (throttle.py), and single sign-on through
the province's identity service with OpenID Connect (oidc.py)."""
