"""DMN decision tables: reading and checking their files, their cells as the sandbox's Python, evaluating them
by hit policy, and trying them on sample inputs."""
