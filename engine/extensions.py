"""What the domain plugs into the engine: service-task handlers, form checks, forms' option lists, script
functions and the office directory. Modules listed in settings.ENGINE["EXTENSIONS"] register theirs when the
app starts. A handler whose failure may pass (a system it calls is down) raises TryAgain.

    from engine.extensions import service

    @service("plan_submitted")
    def plan_submitted(call):  # call: ServiceCall
        ...
"""
from .datahooks import add_to_counts, on_data_written, on_task_closed
from .directory import Directory, get_directory
from .errors import TryAgain
from .formchecks import form_check
from .formoptions import form_options
from .scripting.functions import script_function
from .services import ServiceCall, service

__all__ = ["Directory", "ServiceCall", "TryAgain", "add_to_counts", "form_check", "form_options", "get_directory",
           "on_data_written", "on_task_closed", "script_function", "service"]
