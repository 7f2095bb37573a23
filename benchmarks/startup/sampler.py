"""Interleaved sampling: every round runs each contender once, in an order rotated per round,
so that drifting noise (other work on the machine) spreads evenly over all of them.

A contender that fails is not retried: its first error is kept as the reason it has no numbers.
"""

from typing import Callable

import pytest

from benchmarks.stats import summary


def interleave(contenders: dict[str, Callable[[], float]], rounds: int, warmup: int = 1,
               progress: Callable[[str], None] = lambda line: None) -> dict:
    """name -> {"samples_s": [...], **summary} or {"error": reason}."""
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    errors: dict[str, str] = {}
    names = list(contenders)
    for r in range(warmup + rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            if name in errors:
                continue
            try:
                seconds = contenders[name]()
            except Exception as e:  # any failure of a runtime is its result, reported as such
                errors[name] = f"{type(e).__name__}: {e}".strip()[:500]
                progress(f"{name} failed: {errors[name]}")
                continue
            if r >= warmup:
                samples[name].append(seconds)
        progress(f"round {r + 1 - warmup}/{rounds}" if r >= warmup else "warmup round")
    return {name: {"error": errors[name]} if name in errors else {**summary(samples[name]),
            "samples_s": [round(s, 5) for s in samples[name]]} for name in names}


def require_measured(numbers: dict, name: str) -> None:
    """Fail the calling test with the reason `name` has no numbers, if it has none."""
    if "error" in numbers[name]:
        pytest.fail(f"{name} could not be measured: {numbers[name]['error']}")
