"""`invoke conformance [--stack NAME]`: run the RFC conformance matrix with a progress bar and
write reports/conformance/ (JSON, Markdown, PNG)."""
from invoke import task

REPORT_DIR = "reports/conformance"


class _Progress:
    """A pytest plugin driving a rich progress bar, one step per (stack, case) test."""

    def __init__(self, bar):
        self.bar, self.task, self.counts = bar, None, {"pass": 0, "fail": 0, "not run": 0}

    def pytest_collection_finish(self, session):
        self.task = self.bar.add_task("conformance", total=len(session.items))

    def pytest_runtest_logreport(self, report):
        props = dict(report.user_properties)
        done = report.when == "call" or (report.when == "setup" and not report.passed)
        if not done:
            return
        if hasattr(report, "wasxfail") or report.failed:
            self.counts["fail"] += 1
        elif report.skipped:
            self.counts["not run"] += 1
        else:
            self.counts["pass"] += 1
        label = f"{props.get('stack', '')} {props.get('conformance_case', report.nodeid)}"
        summary = " ".join(f"{k} {v}" for k, v in self.counts.items())
        self.bar.update(self.task, advance=1, description=f"{label:<48.48} {summary}")


def _summary_table(matrix: dict):
    from rich.table import Table
    table = Table(title="conformance by stack")
    for column in ("stack", "pass", "fail", "MUST failed", "not run"):
        table.add_column(column)
    for stack, s in matrix["stacks"].items():
        table.add_row(stack, str(s["pass"]), str(s["fail"]), str(s["must_fail"]),
                      f"{s['not run']} {s['not_run_reason']}".strip())
    return table


@task(iterable=["stack"], help={"stack": "run only this stack (repeatable): linux, uml-<profile> "
                                          "(uml-default, uml-tiny), vm-x86_64, vm-arm64, gvisor, lwip, lkl", "report": "where to write the report"})
def conformance(c, stack=None, report=REPORT_DIR):
    """Run every conformance case on every stack (root needed) and write the report."""
    import json
    from pathlib import Path

    import pytest
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    args = ["tests/conformance/test_matrix.py", "-p", "no:terminal", "-p", "no:cacheprovider",
            f"--conformance-report={report}"]
    for name in stack or []:
        args += ["--stack", name]
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn()) as bar:
        code = pytest.main(args, plugins=[_Progress(bar)])
    matrix_file = Path(report) / "conformance.json"
    if not matrix_file.exists():
        raise SystemExit(f"no report written (pytest exit {code})")
    Console().print(_summary_table(json.loads(matrix_file.read_text())))
    print(f"report: {report}/conformance.md, .json, .png")
    if code not in (0, 1):  # 1: some case failed, which the report records; other codes are errors
        raise SystemExit(code)
