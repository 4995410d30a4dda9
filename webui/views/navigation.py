"""Going back where a form came from, only within this site."""
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def back(request, default, *args, **kwargs):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(default, *args, **kwargs)
