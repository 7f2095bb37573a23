"""py-spy's collapsed stacks (`--format raw`) as wall-clock time per function, main thread only.

A line is `thread (TID)[: NAME];frame;frame;... COUNT` (the name only when there are several
threads); the main thread's stacks are the ones rooted in the script's `<module>`, the others
start in threading's bootstrap. With --idle every sample is a wall-clock tick, so a frame's
inclusive share is where the main thread spent (or waited out) its time.
"""

from collections import Counter
from pathlib import Path


def _main_thread_lines(path: Path):
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if frames[1:2] and frames[1].startswith("<module> "):
            yield frames[1:], int(count)


def inclusive_ms(paths: list[Path], rate_hz: int) -> tuple[float, Counter]:
    """(mean main-thread ms per profile, frame -> mean inclusive ms per profile)."""
    ticks, per_frame = 0, Counter()
    for path in paths:
        for frames, count in _main_thread_lines(path):
            ticks += count
            for frame in set(frames):
                per_frame[frame] += count
    scale = 1000 / rate_hz / max(len(paths), 1)
    return ticks * scale, Counter({frame: n * scale for frame, n in per_frame.items()})


def project_frames(per_frame: Counter, top: int) -> list[tuple[str, float]]:
    """The widest frames of runu's own code (runu/...), widest first, past the entry wrappers
    that every sample passes through; what the standard library does below them is left out."""
    entry = ("main (runu/cli.py", "run (runu/commands/")
    return [(f, ms) for f, ms in per_frame.most_common()
            if "(runu/" in f and not f.startswith(entry)][:top]
