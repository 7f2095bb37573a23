"""`runu exec`: a second process in a running sandbox, where its kind can run one.

No kind shipped today can: say so clearly, with the kind's reason.
"""

from runu import sandbox as kinds
from runu.commands import runtime
from runu.errors import RunuError


def run(args, log):
    state = runtime(args, log).state(args.id)
    kind = kinds.lookup(state.facts.sandbox)
    raise RunuError(f"exec into container {args.id} is not supported by its sandbox kind {kind.name}: "
                    f"{kind.exec_refusal}")
