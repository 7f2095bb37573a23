"""Rows of the dashboard's tables, computed from stored runs (no HTML here)."""


def _ratio(value: float | None, ref: float | None) -> str:
    return f"{value / ref:.2f}" if value and ref else "–"


def startup_rows(run: dict) -> list[list[str]]:
    """runtime, median, mean ± sd, p95, ×runc, ×native (by medians), or the reason it failed."""
    medians = {n: m.get("median_ms") for n, m in run["runtimes"].items()}
    rows = []
    for name, m in run["runtimes"].items():
        if "error" in m:
            rows.append([name, "failed", "", "", "", "", m["error"]])
            continue
        rows.append([name, f"{m['median_ms']:.0f}", f"{m['mean_ms']:.0f} ± {m['stdev_ms']:.0f}", f"{m['p95_ms']:.0f}",
                     _ratio(m["median_ms"], medians.get("runc")), _ratio(m["median_ms"], medians.get("native")),
                     f"n={m['n']}"])
    return rows


def density_rows(run: dict) -> list[list[str]]:
    """runtime, N, MiB per container, total MiB, start all, all ready; a row for where it broke."""
    rows = []
    for name, r in run["runtimes"].items():
        for lv in r["levels"]:
            rows.append([name, str(lv["n"]), f"{lv['mean_per_container_kib'] / 1024:.1f}",
                         f"{lv['total_kib'] / 1024:.0f}", f"{lv['start_all_s']:.1f}", f"{lv['all_ready_s']:.1f}", ""])
        if r.get("broke"):
            b = r["broke"]
            rows.append([name, str(b["n"]), "", "", "", "", f"broke with {b['running']} running: {b['reason']}"])
    return rows


def _headline(metric: dict) -> tuple[str, float] | None:
    """The metric's headline value: its first median, else its first kib figure."""
    for key, value in metric.items():
        if key.startswith("median") and isinstance(value, (int, float)):
            return key, value
    for key, value in metric.items():
        if key.endswith("kib") and isinstance(value, (int, float)):
            return key, value
    return None


def network_tables(run: dict) -> tuple[list[list[str]], dict[str, dict[str, float]]]:
    """Whatever a network run holds, read generically: rows (runtime, metric, headline value,
    ×runc) and metric -> runtime -> ratio to runc for the chart."""
    rows, ratios = [], {}
    for name, metrics in run.get("runtimes", {}).items():
        for metric, values in metrics.items():
            if not isinstance(values, dict):
                rows.append([name, metric, str(values)[:200], ""])
                continue
            headline = _headline(values)
            ratio = values.get("ratio_to_runc")
            if isinstance(ratio, (int, float)):
                ratios.setdefault(metric, {})[name] = ratio
            rows.append([name, metric, f"{headline[0]} {headline[1]:g}" if headline else str(values.get("error", ""))[:200],
                         f"{ratio:.2f}" if isinstance(ratio, (int, float)) else "–"])
    return rows, ratios
