"""Summary statistics of a list of timings (seconds in, milliseconds out)."""

import statistics


def summary(samples: list[float]) -> dict:
    """mean, standard deviation, median and p95 in ms; n is the number of samples."""
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return {
        "n": len(ms),
        "mean_ms": round(statistics.fmean(ms), 2),
        "stdev_ms": round(statistics.stdev(ms), 2) if len(ms) > 1 else 0.0,
        "median_ms": round(statistics.median(ms), 2),
        "p95_ms": round(p95, 2),
    }
