"""The script engine attached to every workflow: the sandbox plus service-task dispatch."""
import copy
import json

from django.core.serializers.json import DjangoJSONEncoder
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from .. import services
from ..errors import TryAgain
from ..audit import current_actor
from .functions import available
from .sandbox import SandboxEnvironment


class EngineScriptEngine(PythonScriptEngine):
    def __init__(self, instance=None):
        super().__init__(environment=SandboxEnvironment(available()))
        self.instance = instance

    def call_service(self, task, operation_name, operation_params):
        # Spiff's own call_service hides the handler's error behind a NameError; report it plainly.
        try:
            handler = services.get(operation_name)
            params = {name: param["value"] for name, param in operation_params.items()}
            call = services.ServiceCall(self.instance, task.task_spec.bpmn_id, params, copy.deepcopy(task.data),
                                        current_actor())
            return json.dumps(handler(call), cls=DjangoJSONEncoder)
        except TryAgain:
            raise  # not the workflow's failure: the step is rolled back and tried again (runtime/incidents.py)
        except Exception as err:
            raise WorkflowTaskException(f"service '{operation_name}' failed: {err}", task=task, exception=err) from err
