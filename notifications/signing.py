"""Signatures: of webhook deliveries (ours), and of DingTalk robot URLs (DingTalk's 加签)."""
import base64
import hashlib
import hmac
from urllib.parse import quote_plus


def webhook_signature(secret, timestamp, body):
    """X-Shegong-Signature: HMAC-SHA256 with the subscription's secret over `timestamp` "." `body` (bytes)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def dingtalk_url(url, secret, timestamp_ms):
    """A DingTalk robot URL signed as DingTalk asks: base64 HMAC-SHA256 of "timestamp\\nsecret", keyed with the
    secret, in the query with the timestamp (milliseconds)."""
    text = f"{timestamp_ms}\n{secret}".encode()
    sign = quote_plus(base64.b64encode(hmac.new(secret.encode(), text, hashlib.sha256).digest()))
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp_ms}&sign={sign}"
