"""The host's Docker, for runu: dockerd running, runu registered, the cgroup layout every
runtime accepts. A library: failures are DockerHostError; the invoke tasks (tasks/dockerd.py)
turn them into exit codes."""


class DockerHostError(Exception):
    """dockerd could not be started, reached or told about runu; the message says why."""
