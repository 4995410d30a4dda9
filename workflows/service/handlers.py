"""Service-task handlers of this part of the lifecycle; diagrams call them by name."""
