"""People as the pages name them: a username's full name, looked up once per request."""
import threading

from django.contrib.auth import get_user_model
from django.core.signals import request_started

# A history names the same few people many times: each username is looked up once per request.
_names = threading.local()


def _forget_names(**kwargs):
    _names.by_username = {}


request_started.connect(_forget_names, dispatch_uid="webui.actor_names")


def _known():
    known = getattr(_names, "by_username", None)
    if known is None:
        known = _names.by_username = {}
    return known


def full_name(user):
    return user.get_full_name() or user.get_username()


def name_of(username):
    """The full name of the person `username`, else the username itself."""
    known = _known()
    if username not in known:
        learn_names([username])
    return known[username]


def learn_names(usernames):
    """Look up in one query those of `usernames` not known yet in this request: a page that names many people
    (an instance's history) asks for them all before its template names them one by one."""
    known = _known()
    wanted = {name for name in usernames if isinstance(name, str) and name and name not in known}
    if wanted:
        found = {user.get_username(): full_name(user)
                 for user in get_user_model().objects.filter(username__in=wanted)}
        known.update({name: found.get(name, name) for name in wanted})
