"""Rows of the dashboard's tables, computed from stored runs (no HTML here)."""

import re
import statistics


def _ratio(value: float | None, ref: float | None) -> str:
    return f"{value / ref:.2f}" if value and ref else "–"


def reason(error: str) -> str:
    """The runtime's own words: the quoted message of a Docker API error, else the error."""
    quoted = re.search(r'\("(.*)"\)', error)
    return quoted.group(1) if quoted else error


def startup_rows(run: dict, names=None, runc: str = "runc") -> list[list[str]]:
    """runtime, median, mean ± sd, p95, ×runc, ×native (by medians), or the reason it failed;
    `names`: only those, against `runc` (the reference's name among them)."""
    medians = {n: m.get("median_ms") for n, m in run["runtimes"].items()}
    rows = []
    for name, m in run["runtimes"].items():
        if names is not None and name not in names:
            continue
        if "error" in m:
            rows.append([name, "failed", "", "", "", "", reason(m["error"])])
            continue
        rows.append([name, f"{m['median_ms']:.0f}", f"{m['mean_ms']:.0f} ± {m['stdev_ms']:.0f}", f"{m['p95_ms']:.0f}",
                     _ratio(m["median_ms"], medians.get(runc)), _ratio(m["median_ms"], medians.get("native")),
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


FOOTPRINT_HOST = ["private anonymous", "private file-backed", "shared", "total"]
FOOTPRINT_GUEST = ["used", "anonymous", "page cache", "slab", "stacks and page tables", "other"]


def footprint_rows(run: dict) -> list[list[str]]:
    """runtime, its host PSS by mapping class and in all (MiB, x runc's), then its own kernel's
    RAM in use by holder (MiB; blank without a kernel of its own), or why it was not measured."""
    ref = run["runtimes"].get("runc", {}).get("host_pss_kib", {}).get("total")
    rows = []
    for name, r in run["runtimes"].items():
        if "error" in r:
            rows.append([name, *[""] * (len(FOOTPRINT_HOST) + len(FOOTPRINT_GUEST)), reason(r["error"])])
            continue
        host, guest = r["host_pss_kib"], r.get("guest_kib", {})
        rows.append([name, *(f"{host[c] / 1024:.1f}" for c in FOOTPRINT_HOST[:-1]),
                     f"{host['total'] / 1024:.1f} ({_ratio(host['total'], ref)}×)",
                     *(f"{guest[c] / 1024:.1f}" if c in guest else "" for c in FOOTPRINT_GUEST), r.get("note", "")])
    return rows


def _headline(metric: dict) -> tuple[str, float] | None:
    """The metric's headline value: its first median, else its PSS, else any kib figure."""
    for test in (lambda k: k.startswith("median"), lambda k: "pss" in k, lambda k: k.endswith("kib")):
        for key, value in metric.items():
            if test(key) and isinstance(value, (int, float)):
                return key, value
    return None


def _cell(values) -> str:
    if not isinstance(values, dict):
        return str(values)[:200]
    headline, ratio = _headline(values), values.get("ratio_to_runc")
    text = f"{headline[1]:g} {headline[0]}" if headline else str(values.get("error", ""))[:200]
    return text + (f" (×{ratio:.2f})" if isinstance(ratio, (int, float)) else "")


def network_tables(run: dict) -> tuple[list[str], list[list[str]], dict[str, dict[str, float]]]:
    """Whatever a network run holds, read generically: a header of metrics, one row per runtime
    (headline value and ×runc), and metric -> runtime -> ratio to runc for the chart."""
    runtimes = run.get("runtimes", {})
    metrics = list(dict.fromkeys(m for measured in runtimes.values() for m in measured))
    rows = [[name] + [_cell(measured[m]) if m in measured else "–" for m in metrics] for name, measured in runtimes.items()]
    ratios = {}
    for name, measured in runtimes.items():
        for m, values in measured.items():
            if isinstance(values, dict) and isinstance(values.get("ratio_to_runc"), (int, float)):
                ratios.setdefault(m, {})[name] = values["ratio_to_runc"]
    return ["runtime", *metrics], rows, ratios


def console_speeds(run: dict) -> tuple[list[str], list[list[str]]]:
    """The ways output travelled, then per runtime its MB/s each way: whole run / net."""
    runtimes = run.get("runtimes", {})
    ways = list(dict.fromkeys(w for measured in runtimes.values() for w in measured))

    def speed(entry: dict) -> str:
        if "mb_per_s" not in entry:
            return reason(str(entry.get("error", "–")))[:200]
        return f"{entry['mb_per_s']:g} / {entry['net_mb_per_s']:g}"

    return ways, [[name, *(speed(measured[w]) if w in measured else "–" for w in ways)]
                  for name, measured in runtimes.items()]


def profile_rows(run: dict) -> tuple[list[list[str]], list[list[str]]]:
    """(phase, median ms) of docker run under runu, and (frame, ms) of runu create's profile."""
    phases = [[name, f"{statistics.median(values):.0f}"] for name, values in run["phases_ms"].items()]
    frames = [[frame, f"{ms:.1f}"] for frame, ms in run["create_frames_ms"]]
    return phases, frames


# The seed's Figure 43 (seed-004-section5.md): mean ms of the same workload, docker run to ready,
# under each runtime it measured, by the name its counterpart has here (None: not measured here).
SEED_FIGURE_43 = [("native", "native", 41), ("runc", "runc", 956), ("gvisor(p)", "runsc-ptrace", 1264),
                  ("gvisor(k)", "runsc-kvm", 1172), ("nabla", None, 1327), ("kata", None, 1635),
                  ("runu", "runu-default", 726)]


def seed_rows(run: dict) -> list[list[str]]:
    """seed runtime, its ms and ratio to its runc; the counterpart here, its mean ms and ratio."""
    here = {n: m.get("mean_ms") for n, m in run["runtimes"].items()}
    rows = []
    for seed_name, name, seed_ms in SEED_FIGURE_43:
        ms = here.get(name) if name else None
        rows.append([seed_name, f"{seed_ms}", _ratio(seed_ms, 956), name or "not measured here",
                     f"{ms:.0f}" if ms else "–", _ratio(ms, here.get("runc"))])
    return rows


def verbs_rows(run: dict, verbs=("create", "start", "state", "kill", "delete")) -> list[list[str]]:
    """runtime, then each verb's median ms and its ratio to runc's."""
    ref = run["runtimes"].get("runc", {})
    rows = []
    for name, numbers in run["runtimes"].items():
        if "error" in numbers:
            rows.append([name, *[""] * len(verbs), reason(numbers["error"])])
            continue
        rows.append([name, *(f"{numbers[v]['median_ms']:.1f} ({_ratio(numbers[v]['median_ms'], ref.get(v, {}).get('median_ms'))}×)"
                             for v in verbs), f"n={numbers[verbs[0]]['n']}"])
    return rows


def phases_rows(run: dict) -> tuple[list[str], list[list[str]]]:
    """Phase names, then per runtime each phase's median ms and the whole run's (x runc)."""
    measured = {name: numbers for name, numbers in run["runtimes"].items() if "error" not in numbers}
    phases = list(next(iter(measured.values()))["phases_median_ms"]) if measured else []
    ref = run["runtimes"].get("runc", {}).get("median_ms")
    rows = []
    for name, numbers in run["runtimes"].items():
        if "error" in numbers:
            rows.append([name, *[""] * (len(phases) + 1), reason(numbers["error"])])
            continue
        rows.append([name, *(f"{numbers['phases_median_ms'][p]:.1f}" for p in phases),
                     f"{numbers['median_ms']:.0f} ({_ratio(numbers['median_ms'], ref)}×)", f"n={numbers['n']}"])
    return phases, rows


def guest_rows(run: dict) -> tuple[list[str], list[list[str]]]:
    """Metric names, then one row per contender of their medians."""
    metrics = list(next(iter(run["runtimes"].values()))["medians"])
    return metrics, [[name, *(f"{numbers['medians'][m]:g}" for m in metrics)]
                     for name, numbers in run["runtimes"].items()]
