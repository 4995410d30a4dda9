"""Errors the engine raises to its callers. Each says what was wrong and where."""


class EngineError(Exception):
    """Base of every error the engine reports to a caller."""


class Problem:
    """One validation finding, located in a file (and line when known). An error stops a deployment;
    a lint warning (bpmn/lint.py) does not."""

    severity = "error"

    def __init__(self, file, line, message, element=None):
        self.file = file
        self.line = line
        self.message = message
        self.element = element

    def __str__(self):
        where = f"{self.file}:{self.line}" if self.line else f"{self.file}"
        return f"{where}: {self.message}"

    def as_dict(self):
        return {"file": self.file, "line": self.line, "message": self.message, "element": self.element,
                "severity": self.severity}


class InvalidDefinition(EngineError):
    """BPMN or form files that may not be deployed; `problems` lists every finding."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class NotFound(EngineError):
    pass


class Conflict(EngineError):
    """The step is no longer possible: the task or instance moved on meanwhile."""


class PermissionDenied(EngineError):
    pass


class StepFailed(EngineError):
    """A step failed outside the workflow (the database refused its writes, a handler kept asking to try
    again): it was rolled back, and the instance is `failed` with the error, an incident to look into."""


class TryAgain(EngineError):
    """Raised by a service handler whose failure may pass (a system it calls is down): the step is
    rolled back and tried again a few times, then recorded as an incident."""


class InvalidInput(EngineError):
    """Submitted data failed validation; `errors` maps field keys to messages."""

    def __init__(self, errors, message=None):
        self.errors = dict(errors)
        super().__init__(message or "; ".join(f"{k}: {v}" for k, v in self.errors.items()))
