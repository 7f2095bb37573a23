"""Collects one result per (stack, case) test as pytest reports it."""
import dataclasses

PASS, FAIL, NOT_RUN = "pass", "fail", "not run"


@dataclasses.dataclass
class Result:
    stack: str
    case: str
    outcome: str
    detail: str = ""


class ResultCollector:
    """A pytest plugin object: keeps the matrix tests' outcomes with a one-line reason each."""

    def __init__(self):
        self.results: list[Result] = []

    def pytest_runtest_logreport(self, report) -> None:
        props = dict(report.user_properties)
        if "conformance_case" not in props:
            return
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.results.append(Result(props["stack"], props["conformance_case"],
                                       *_outcome(report)))


def _outcome(report) -> tuple[str, str]:
    if hasattr(report, "wasxfail"):  # a known non-conformance (see known.py)
        if report.skipped:
            return FAIL, f"{_crash_message(report)}. Why: {report.wasxfail}"
        return PASS, ""
    if report.skipped:
        return NOT_RUN, report.longrepr[2].removeprefix("Skipped: ")
    if report.passed:
        return PASS, ""
    return FAIL, _crash_message(report)


def _crash_message(report) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    message = crash.message if crash else str(report.longrepr)
    return message.splitlines()[0].removeprefix("AssertionError: ")[:160]
