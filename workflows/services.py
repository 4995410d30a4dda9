"""Service-task handlers of the lifecycle, registered with the engine at start-up."""
