import pytest

from runu.errors import RunuError
from runu.signals import parse_signal


@pytest.mark.parametrize("text, number", [("TERM", 15), ("SIGTERM", 15), ("sigkill", 9), ("9", 9), ("USR1", 10)])
def test_names_and_numbers(text, number):
    assert parse_signal(text) == number


@pytest.mark.parametrize("text", ["SIGNOPE", "0", "99", "-1", ""])
def test_bad_signals(text):
    with pytest.raises(RunuError):
        parse_signal(text)
