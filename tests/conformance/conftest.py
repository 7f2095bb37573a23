"""Fixtures of the conformance suite: one testbed and probe per stack (brought up once, torn
down even on failure), the case matrix, a leak check, and the optional report."""
import os

import pytest

from netstack.stacks import StackUnavailable
from netstack.testbed import Testbed

from . import leaks
from .known import known_failure
from .probe import Probe
from .registry import all_cases
from .results import ResultCollector
from .stacks import STACKS, wiring


def pytest_addoption(parser):
    group = parser.getgroup("conformance")
    group.addoption("--stack", action="append", default=[], choices=sorted(STACKS),
                    help="run the matrix on this stack only (repeatable); default: all")
    group.addoption("--conformance-report", metavar="DIR",
                    help="write the matrix as JSON, Markdown and PNG into DIR")


def pytest_configure(config):
    if os.geteuid() == 0:
        config.pluginmanager.register(ResultCollector(), "conformance-results")


def selected_stacks(config) -> list[str]:
    chosen = config.getoption("--stack")
    return [name for name in STACKS if not chosen or name in chosen]


def pytest_generate_tests(metafunc):
    if "stack_name" in metafunc.fixturenames:
        metafunc.parametrize("stack_name", selected_stacks(metafunc.config), scope="session")
    if "conformance_case" in metafunc.fixturenames:
        cases = all_cases()
        metafunc.parametrize("conformance_case", cases, ids=[c.id for c in cases])


def pytest_collection_modifyitems(items):
    for item in items:
        params = getattr(item, "callspec", None) and item.callspec.params
        if params and "conformance_case" in params:
            stack, case_id = params["stack_name"], params["conformance_case"].id
            item.user_properties += [("stack", stack), ("conformance_case", case_id)]
            why = known_failure(stack, case_id)
            if why:
                item.add_marker(pytest.mark.xfail(reason=why, strict=True, raises=AssertionError))


def pytest_sessionfinish(session):
    target = session.config.getoption("--conformance-report")
    collector = session.config.pluginmanager.get_plugin("conformance-results")
    if target and collector and collector.results:
        from .report import write_reports  # matplotlib only when a report is asked for
        write_reports(collector.results, all_cases(), selected_stacks(session.config), list(STACKS),
                      wiring(), target)


@pytest.fixture(scope="session", autouse=True)
def leak_check():
    """Fail the session's teardown if the suite left a namespace, a link or a process behind."""
    if os.geteuid() != 0:
        pytest.skip("the conformance suite needs root (namespaces, veth, taps)")
    before = leaks.snapshot()
    yield
    left = leaks.snapshot().added_since(before)
    assert not left, f"left behind: {', '.join(left)}"


@pytest.fixture(scope="session")
def probe(stack_name):
    """A running stack behind a fresh testbed, and the tester's probe on it."""
    stack = STACKS[stack_name]()
    reason = stack.unavailable()
    if reason:
        pytest.skip(f"{stack_name} not run: {reason}")
    bed = Testbed(stack_name).create()
    try:
        stack.start(bed)
        tester = Probe(bed)
    except BaseException as err:
        stack.stop()
        bed.destroy()
        if isinstance(err, StackUnavailable):
            pytest.skip(f"{stack_name} not run: {err}")
        raise
    yield tester
    tester.close()
    stack.stop()
    bed.destroy()
