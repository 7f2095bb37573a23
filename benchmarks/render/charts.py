"""matplotlib PNGs for the dashboard, one function a chart; each takes a stored run (see
benchmarks/results.py) and writes one file."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (the backend must be chosen first)

COLORS = {"native": "#7f7f7f", "runc": "#1f77b4", "crun": "#17becf", "runsc-ptrace": "#ff7f0e",
          "runsc-kvm": "#d62728", "runu-default": "#2ca02c", "runu-tiny": "#98df8a"}


def _color(name: str) -> str:
    return COLORS.get(name, "#9467bd")


def _line(name: str) -> dict:
    """Line style of a runtime: a sibling (crun beside runc, tiny beside default) is dashed with
    square markers, so that it stays visible where its numbers equal its sibling's."""
    sibling = name in ("crun", "runsc-kvm", "runu-tiny")
    return {"color": _color(name), "marker": "s" if sibling else "o", "linestyle": "--" if sibling else "-",
            "markerfacecolor": "none" if sibling else _color(name), "label": name}


def _ordered(names) -> list[str]:
    """Known runtimes in the table's order, others after them by name."""
    known = list(COLORS)
    return sorted(set(names), key=lambda n: (known.index(n) if n in known else len(known), n))


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def startup_bars(run: dict, title: str, path: Path) -> Path:
    """Mean time to ready per runtime, standard deviation as error bars (the seed's Figure 43);
    a runtime that failed gets an empty slot saying so."""
    names = list(run["runtimes"])
    fig, ax = plt.subplots(figsize=(11, 4.8))
    top = max((m.get("mean_ms", 0) + m.get("stdev_ms", 0) for m in run["runtimes"].values()), default=1)
    for x, name in enumerate(names):
        m = run["runtimes"][name]
        if "error" in m:
            ax.text(x, top * 0.04, "could not run\n(see table)", ha="center", va="bottom", fontsize=9, color="#b00")
            continue
        ax.bar(x, m["mean_ms"], yerr=m["stdev_ms"], capsize=6, color=_color(name))
        ax.text(x, m["mean_ms"] + m["stdev_ms"] + top * 0.01, f"{m['mean_ms']:.0f}", ha="center", va="bottom")
    ax.set_xticks(range(len(names)), names)
    ax.set_ylim(0, top * 1.12)
    ax.set_ylabel("ms from launch to ready (mean ± sd)")
    ax.set_title(f"{title}: {run['rounds']} rounds each, interleaved")
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def density(run: dict, path: Path) -> Path:
    """Memory per container and time until all are ready, against the number of containers;
    an x marks the count at which a runtime broke."""
    fig, (mem, ready) = plt.subplots(1, 2, figsize=(12, 4.6))
    for name, r in run["runtimes"].items():
        ns = [lv["n"] for lv in r["levels"]]
        mem.plot(ns, [lv["mean_per_container_kib"] / 1024 for lv in r["levels"]], **_line(name))
        ready.plot(ns, [lv["all_ready_s"] for lv in r["levels"]], **_line(name))
        if r.get("broke"):
            ready.plot([r["broke"]["n"]], [0], "x", markersize=12, color=_color(name), label=f"{name} broke")
    mem.set(xlabel="containers", ylabel="MiB per container (PSS)", title="memory per idle ThingVisor")
    ready.set(xlabel="containers", ylabel="s until all ready", title="until all N are ready (started one by one)")
    for ax in (mem, ready):
        ax.set_xticks(run["levels"])
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend()
    return _save(fig, path)


def ratios(table: dict[str, dict[str, float]], title: str, path: Path) -> Path:
    """Grouped bars: for each metric, each runtime's ratio to runc (1 = runc)."""
    metrics = list(table)
    names = _ordered(n for row in table.values() for n in row)
    fig, ax = plt.subplots(figsize=(11, 4.4))
    width = 0.8 / max(len(names), 1)
    for i, name in enumerate(names):
        xs = [m + i * width for m in range(len(metrics))]
        ax.bar(xs, [table[m].get(name, 0) for m in metrics], width, label=name, color=_color(name))
    ax.set_yscale("log")
    ax.axhline(1, color="black", linewidth=0.8)
    ax.set_xticks([m + 0.4 - width / 2 for m in range(len(metrics))], metrics)
    ax.set_ylabel("ratio to runc (log scale; 1 = runc)")
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def _when(stamp: str) -> str:
    """20261122T044009Z -> 2026-11-22 04:40 (UTC)."""
    return f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]} {stamp[9:11]}:{stamp[11:13]}"


def history(runs: list[dict], title: str, path: Path) -> Path:
    """Median time to ready of each runtime in every stored run of one kind, oldest left."""
    fig, ax = plt.subplots(figsize=(11, 4.2))
    names = _ordered(n for run in runs for n in run["runtimes"])
    for name in names:
        points = [(i, run["runtimes"][name]["median_ms"]) for i, run in enumerate(runs)
                  if "median_ms" in run["runtimes"].get(name, {})]
        if points:
            ax.plot(*zip(*points), **_line(name))
    ax.set_xticks(range(len(runs)), [f"{_when(r['time'])}\n{r['git']['commit'][:7]}" for r in runs], fontsize=8)
    ax.set_ylabel("median ms to ready")
    ax.set_title(title)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return _save(fig, path)
