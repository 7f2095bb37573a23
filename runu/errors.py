"""The one exception the runtime raises for anything a caller did or met."""


class RunuError(Exception):
    """A failure worth one line to the user; the CLI prints it and exits 1."""
