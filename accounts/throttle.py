"""Local logins throttled per account and per address, on django-axes.

Axes counts failed passwords in AccessAttempt rows (one per account, address and browser, stamped with its latest
failure; a row stops counting AXES_COOLOFF_TIME after that). An account is locked after AXES_FAILURE_LIMIT failures,
an address after LOGIN_FAILURES_PER_ADDRESS: more, because an office's people share its gateway. A locked login is
refused before its password is checked, and is answered with the login page saying what is locked and until when.
Only logins that bring a password are counted: single sign-on's callback guesses nothing here.
"""
import ipaddress
import math
import threading
import zlib
from contextlib import contextmanager

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db import connection
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class AccountAndAddressHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit per account (over all addresses) and a larger one per address (over all
    accounts)."""

    def failures(self, request, credentials=None):
        """{"account": (failures, lifts_at), "address": (...)}: the failures that still count, and when the lock
        they make lifts (None while they make none)."""
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        username = get_client_username(request, credentials)
        found = {"account": (0, None), "address": (0, None)}
        if username:
            found["account"] = _count(recent.filter(username=username), settings.AXES_FAILURE_LIMIT, request)
        if request.axes_ip_address:
            found["address"] = _count(recent.filter(ip_address=request.axes_ip_address),
                                      settings.LOGIN_FAILURES_PER_ADDRESS, request)
        return found

    def get_failures(self, request, credentials=None):
        # Axes compares this one number with AXES_FAILURE_LIMIT: a locked address counts as a locked account.
        found = self.failures(request, credentials)
        if found["address"][1] is not None:
            return max(found["account"][0], settings.AXES_FAILURE_LIMIT)
        return found["account"][0]

    def reset_user_attempts(self, request, credentials=None):
        # A success clears its account's failures only: clearing its address's too would let someone wipe the
        # count of their guesses at other accounts by logging in to their own.
        username = get_client_username(request, credentials)
        return AccessAttempt.objects.filter(username=username).delete()[0] if username else 0


def _count(attempts, limit, request):
    """(failures, when their lock lifts or None): the lock lasts while the newest rows still add up to `limit`."""
    total, lifts_at = 0, None
    for at, failures in attempts.order_by("-attempt_time").values_list("attempt_time", "failures_since_start"):
        total += failures
        if lifts_at is None and total >= limit:
            lifts_at = at + get_cool_off(request)
    return total, lifts_at


def without_password(request, credentials):
    """AXES_WHITELIST_CALLABLE: an authentication that brings no password is not counted nor refused."""
    return not (credentials or {}).get(settings.AXES_PASSWORD_FORM_FIELD)


def client_address(request):
    """AXES_CLIENT_IP_CALLABLE: the address a login comes from. Behind LOGIN_PROXY_COUNT reverse proxies, each
    appending to X-Forwarded-For, it is the one the outermost proxy saw; what the client wrote before is ignored."""
    address = request.META.get("REMOTE_ADDR")
    if settings.LOGIN_PROXY_COUNT:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= settings.LOGIN_PROXY_COUNT:
            address = forwarded[-settings.LOGIN_PROXY_COUNT]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def lockout_response(request, original_response, credentials):
    """AXES_LOCKOUT_CALLABLE: the login page again, saying what is locked, for how long and who can unlock it."""
    found = AxesProxyHandler.get_implementation().failures(request, credentials)
    now = timezone.now()
    what, lifts_at = next(((what, found[what][1]) for what in ("account", "address") if found[what][1]),
                          ("account", now + get_cool_off(request)))
    minutes = max(1, math.ceil((lifts_at - now).total_seconds() / 60))
    values = {"username": get_client_username(request, credentials) or "",
              "duration": ngettext("%(minutes)d 分钟", "%(minutes)d 分钟", minutes) % {"minutes": minutes},
              "time": timezone.localtime(lifts_at).strftime("%H:%M")}
    if what == "account":
        message = _("登录失败次数过多，账户 %(username)s 已锁定。请 %(duration)s后（%(time)s 以后）再试，"
                    "急需登录请联系系统管理员解锁。") % values
    else:
        message = _("从本机地址登录失败的次数过多，已暂停从这里登录。请 %(duration)s后（%(time)s 以后）再试，"
                    "急需登录请联系系统管理员解锁。") % values
    form = AuthenticationForm(request, initial={"username": values["username"]})
    return render(request, "webui/login.html", {"form": form, "locked": message, "next": request.POST.get("next", "")},
                  status=settings.AXES_HTTP_RESPONSE_CODE)


_TURNS = [threading.Lock() for _ in range(64)]
_ADVISORY_NAMESPACE = 0x4C4F47  # pg_advisory_lock's first key: the login checks' own space


@contextmanager
def one_check_at_a_time(username):
    """Hold `username`'s turn to have a password checked: on PostgreSQL across processes with an advisory lock, on
    the embedded default (one process) with a thread lock (64 of them, shared by accounts that hash alike)."""
    key = zlib.crc32(username.encode("utf-8"))
    if connection.vendor == "postgresql":
        key -= 2 ** 32 if key >= 2 ** 31 else 0  # the lock's keys are signed 32-bit integers
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [_ADVISORY_NAMESPACE, key])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_ADVISORY_NAMESPACE, key])
    else:
        with _TURNS[key % len(_TURNS)]:
            yield


class OneCheckPerAccount:
    """Runs the logins to one account one after the other, from the look at its failures to the count of its new
    one: sent together, they would all pass the look before any failure is counted, and get more guesses than the
    limit allows."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        username = self._login_username(request)
        if username is None:
            return self.get_response(request)
        with one_check_at_a_time(username):
            return self.get_response(request)

    @staticmethod
    def _login_username(request):
        # Only the login forms' posts are read here: reading another post's body would parse its uploads too soon.
        if request.method != "POST" or request.path not in (reverse("webui:login"), reverse("admin:login")):
            return None
        return request.POST.get(settings.AXES_USERNAME_FORM_FIELD) or None
