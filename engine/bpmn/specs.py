"""Task specs the engine runs in place of SpiffWorkflow's own."""
from SpiffWorkflow.bpmn.exceptions import WorkflowDataException
from SpiffWorkflow.spiff.specs.defaults import CallActivity


class TerminableCallActivity(CallActivity):
    """A call activity whose called process may end at a terminate end event.

    SpiffWorkflow 3.2 reads a called process's data outputs from its implicit End task, which a
    terminate end event cancels; the outputs are then read from the terminate end event itself.
    """

    def update_data(self, my_task, subworkflow):
        io_specification = subworkflow.spec.io_specification
        end = subworkflow.get_next_task(subworkflow.task_tree, skip_subprocesses=True, spec_name="End")
        if io_specification is None or not io_specification.data_outputs or end is not None:
            return super().update_data(my_task, subworkflow)
        terminated_at = subworkflow.last_task
        for var in io_specification.data_outputs:
            if var.bpmn_id not in terminated_at.data:
                raise WorkflowDataException("The Data Output was not available in the subprocess output.",
                                            task=my_task, data_output=var)
            var.set(my_task, var.get(terminated_at))
