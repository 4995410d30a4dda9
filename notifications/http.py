"""POSTing to another system, bounded: a connection and each read time out, the whole exchange has a deadline,
redirects are not followed, and no more of the answer is read than a status and a short excerpt need."""
import http.client
from time import monotonic
from urllib.parse import urlsplit

from django.conf import settings


class Unreachable(Exception):
    """The exchange did not finish: no connection, a timeout, a broken answer."""


def post(url, body, headers):
    """POST `body` (bytes) to `url`; returns (status, the beginning of the answer as bytes)."""
    conf = settings.NOTIFICATIONS
    timeout, limit = conf["HTTP_TIMEOUT"], conf["MAX_RESPONSE_BYTES"]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Unreachable(f"not an http(s) URL: {url[:100]}")
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname, parts.port, timeout=timeout)
    deadline = monotonic() + 2 * timeout
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers={
            "User-Agent": "shegong-flow", "Content-Length": str(len(body)), **headers})
        sock = connection.sock  # the response reads from it after the connection lets go (HTTP/1.0, close)
        response = connection.getresponse()
        answer = b""
        while len(answer) < limit:
            left = deadline - monotonic()
            if left <= 0:
                break  # a receiver that trickles its answer is not waited for
            sock.settimeout(left)
            try:
                chunk = response.read1(min(8192, limit - len(answer)))
            except (OSError, http.client.HTTPException):
                break  # the status is the answer; what came of the body is its excerpt
            if not chunk:
                break
            answer += chunk
        return response.status, answer
    except (OSError, http.client.HTTPException) as err:  # timeouts are OSErrors
        raise Unreachable(f"{type(err).__name__}: {err}"[:500]) from err
    finally:
        connection.close()
