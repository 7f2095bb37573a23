"""The dashboard page: benchmarks/dashboard/index.html with its PNGs, from the stored results.
Each section shows the latest run of its kind; the history charts draw every startup and bundle run."""

import html
from pathlib import Path

from benchmarks.render import charts, tables
from benchmarks.results import load_all

OUT = Path(__file__).resolve().parents[1] / "dashboard"
STYLE = """body{font-family:sans-serif;margin:24px;max-width:1300px;color:#222}
table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
td:first-child,th:first-child,.notes td:last-child,.notes th:last-child{text-align:left}
.notes td:last-child{max-width:520px;font-size:85%}
.meta{color:#555;font-size:90%}img{max-width:100%}h2{margin-top:32px;border-bottom:1px solid #ddd}"""


def _table(header: list[str], rows: list[list[str]], notes: bool = False) -> str:
    """An HTML table; `notes`: its last column is free text (left-aligned, smaller)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table{' class=notes' if notes else ''}><tr>{head}</tr>{body}</table>"


def _meta(run: dict) -> str:
    m, g = run["machine"], run["git"]
    return (f"<p class=meta>{html.escape(run['file'])} · {run['time']} · commit {g['commit'][:10]}"
            f"{' (uncommitted changes)' if g.get('dirty') else ''} · {m['nproc']} CPUs {html.escape(m['cpu_model'])},"
            f" {m['mem_total_kib'] / 2**20:.1f} GiB, kernel {html.escape(m['kernel'])},"
            f" load {m['loadavg'][0]:.1f} at the start</p>")


def _what(run: dict) -> str:
    what = run.get("what", "")
    text = "; ".join(f"{k}: {v}" for k, v in what.items()) if isinstance(what, dict) else what
    return f"<p>{html.escape(text)}</p>"


def _startup(run: dict, title: str, png: str) -> str:
    charts.startup_bars(run, title, OUT / png)
    header = ["runtime", "median ms", "mean ± sd ms", "p95 ms", "× runc", "× native", "samples, or why none"]
    return (f"<h2>{title}</h2>{_meta(run)}{_what(run)}<img src={png}>"
            f"<p>Ratios are of medians.</p>{_table(header, tables.startup_rows(run), notes=True)}")


def _seed(run: dict) -> str:
    header = ["seed's runtime", "seed ms", "seed × runc", "here", "here ms", "here × runc"]
    return ("<h2>Beside the seed's Figure 43</h2><p>The seed's means of the same workload (its own"
            " machine and runtimes' versions) and this run's means, each as a ratio to its own runc.</p>"
            + _table(header, tables.seed_rows(run)))


def _density(run: dict) -> str:
    charts.density(run, OUT / "density.png")
    header = ["runtime", "containers", "MiB each (PSS)", "MiB total", "s to start all", "s until all ready", "note"]
    return (f"<h2>Density: idle ThingVisors</h2>{_meta(run)}{_what(run)}<img src=density.png>"
            f"{_table(header, tables.density_rows(run), notes=True)}")


def _footprint(run: dict) -> str:
    header = ["runtime", *(f"host {c} MiB" for c in tables.FOOTPRINT_HOST),
              *(f"guest {c} MiB" for c in tables.FOOTPRINT_GUEST), "note"]
    return (f"<h2>Where an idle ThingVisor's memory goes</h2>{_meta(run)}{_what(run)}"
            f"{_table(header, tables.footprint_rows(run), notes=True)}")


def _network(run: dict) -> str:
    header, rows, ratios = tables.network_tables(run)
    chart = ""
    if ratios:
        charts.ratios(ratios, "network: each runtime against runc", OUT / "network.png")
        chart = "<img src=network.png>"
    return (f"<h2>Network (host ↔ container)</h2>{_meta(run)}{_what(run)}{chart}"
            f"{_table(header, rows)}")


def _console(run: dict) -> str:
    """Read as generically as the network run (runtime -> way -> median and ratio to runc), with
    the MB/s each way reached beside it."""
    header, rows, ratios = tables.network_tables(run)
    chart = ""
    if ratios:
        charts.ratios(ratios, f"console throughput: time to move {run['bytes'] / 1e6:g} MB, against runc",
                      OUT / "console.png")
        chart = "<img src=console.png>"
    ways, speeds = tables.console_speeds(run)
    return (f"<h2>Console throughput (a container's bulk output)</h2>{_meta(run)}{_what(run)}{chart}"
            f"<p>Medians of {run['rounds']} runs, ms (× runc):</p>{_table(header, rows)}"
            f"<p>MB/s, whole run / net of the same run writing nothing:</p>{_table(['runtime', *ways], speeds)}")


def _profile(run: dict) -> str:
    phases, frames = tables.profile_rows(run)
    return (f"<h2>Where runu's startup goes</h2>{_meta(run)}{_what(run)}"
            f"<p>Median of {run['runs']} runs, kernel profile {html.escape(run['kernel_profile'])}"
            " (from runu's events log):</p>" + _table(["phase", "median ms"], phases) +
            f"<p><code>runu create</code> under py-spy: {run['create_wall_ms']:.0f} ms of main-thread wall time"
            " per run; the widest frames of runu's code (inclusive). <code>run_hooks</code> runs the bundle's"
            " OCI hooks: under Docker the prestart hook (libnetwork-setkey, dockerd run again), which runc"
            " runs too.</p>" + _table(["frame", "ms per run"], frames))


def _verbs(run: dict) -> str:
    header = ["runtime", "create ms", "start ms", "state ms", "kill ms", "delete ms", "samples"]
    return (f"<h2>Each verb containerd calls</h2>{_meta(run)}{_what(run)}<p>Medians, (× runc).</p>"
            + _table(header, tables.verbs_rows(run)))


def _phases(run: dict) -> str:
    phases, rows = tables.phases_rows(run)
    return (f"<h2>Where docker run's time goes, per runtime</h2>{_meta(run)}{_what(run)}"
            "<p>Medians (ms) of each stretch: Docker before the runtime's create, create (Docker's prestart"
            " hook included), containerd until start, start, then the program until it greets.</p>"
            + _table(["runtime", *phases, "whole run ms", "samples"], rows))


def _guest(run: dict) -> str:
    metrics, rows = tables.guest_rows(run)
    return (f"<h2>Guest execution</h2>{_meta(run)}{_what(run)}<p>Medians over {run['rounds']} runs.</p>"
            + _table(["contender", *metrics], rows))


def _vm(run: dict) -> str:
    header = ["runtime", "median ms", "mean ± sd ms", "p95 ms", "× runc", "× native", "samples, or why none"]
    listen = [n for n in run["runtimes"] if "(busybox true)" not in n]
    true = [n for n in run["runtimes"] if "(busybox true)" in n]
    phases = run.get("phases_ms", {})
    phase_names = next((list(p) for p in phases.values() if p), [])
    phase_rows = [[name, *(f"{phases[name][k]:.0f}" for k in phase_names)] for name in phases if phases[name]]
    pss = [[name, f"{kib / 1024:.1f}"] for name, kib in run.get("idle_pss_kib", {}).items()]
    return (f"<h2>The vm kind (QEMU, {html.escape(run.get('accel', 'tcg'))}) beside UML and runc</h2>{_meta(run)}"
            f"{_what(run)}<p>python-listen, docker run to its greeting:</p>{_table(header, tables.startup_rows(run, listen))}"
            f"<p>Medians of runu's phases (ms):</p>{_table(['runtime', *phase_names], phase_rows)}"
            f"<p>Idle python-listen, PSS of the container's host processes:</p>{_table(['runtime', 'MiB'], pss)}"
            f"<p>docker run busybox true, to its exit:</p>"
            f"{_table(header, tables.startup_rows(run, true, runc='runc (busybox true)'))}")


def _lkl(run: dict) -> str:
    """The library kernel beside the host's stack and UML: each metric with its ratio to linux."""
    metrics = [("start_to_ready_median_ms", "start to ready ms"), ("tcp_rr_median_us", "TCP RR us"),
               ("throughput_mbps", "echo MB/s"), ("pss_kib", "PSS MiB")]
    rows = []
    for name, numbers in run["stacks"].items():
        cells = []
        for key, _ in metrics:
            value = numbers.get(key)
            shown = value / 1024 if key == "pss_kib" and value is not None else value
            ratio = numbers.get("ratios_to_linux", {}).get(key)
            cells.append("n/a" if value is None else f"{shown:.1f} (x{ratio})" if ratio else f"{shown:.1f}")
        rows.append([name, *cells])
    boot = run["stacks"].get("lkl", {}).get("boot_to_first_syscall_median_ms")
    booted = f"<p>Library kernel, in-process boot to its first system call: {boot:.1f} ms.</p>" if boot else ""
    return (f"<h2>Linux as a library beside the host stack and UML</h2>{_meta(run)}{_what(run)}"
            f"{_table(['stack', *(label for _, label in metrics)], rows)}{booted}")


HISTORIES = {"startup": "docker run to ready across runs", "bundle": "runtime run of a bundle to ready across runs"}


def _history(runs: list[dict], kind: str, title: str) -> str:
    of_kind = [r for r in runs if r["kind"] == kind]
    charts.history(of_kind, title, OUT / f"history-{kind}.png")
    return f"<h2>History: {title}</h2><p>{len(of_kind)} run(s) stored.</p><img src=history-{kind}.png>"


def render() -> Path:
    """Write index.html and the charts; return the page's path."""
    OUT.mkdir(exist_ok=True)
    for stale in OUT.glob("*.png"):  # charts of kinds that have no results any more
        if stale.name != "screenshot.png":
            stale.unlink()
    runs = load_all()
    latest = {run["kind"]: run for run in runs}  # oldest first: the last of a kind wins
    parts = []
    if "startup" in latest:
        parts.append(_startup(latest["startup"], "docker run to ready (python-listen)", "startup.png"))
        parts.append(_seed(latest["startup"]))
    if "bundle" in latest:
        parts.append(_startup(latest["bundle"], "runtime run of a bundle to ready, no Docker", "bundle.png"))
    if "phases" in latest:
        parts.append(_phases(latest["phases"]))
    if "verbs" in latest:
        parts.append(_verbs(latest["verbs"]))
    if "guest" in latest:
        parts.append(_guest(latest["guest"]))
    if "vm" in latest:
        parts.append(_vm(latest["vm"]))
    if "density" in latest:
        parts.append(_density(latest["density"]))
    if "footprint" in latest:
        parts.append(_footprint(latest["footprint"]))
    if "network" in latest:
        parts.append(_network(latest["network"]))
    if "console" in latest:
        parts.append(_console(latest["console"]))
    if "profile" in latest:
        parts.append(_profile(latest["profile"]))
    if "lkl" in latest:
        parts.append(_lkl(latest["lkl"]))
    if "lkl-docker" in latest:
        parts.append(_startup(latest["lkl-docker"], "The lkl kind under Docker: docker run to ready (python-listen)",
                              "lkl-docker.png"))
    parts += [_history(runs, kind, title) for kind, title in HISTORIES.items() if kind in latest]
    if not parts:
        parts.append("<p>No results yet: run <code>invoke bench</code>.</p>")
    page = OUT / "index.html"
    page.write_text(f"<!doctype html><meta charset=utf-8><title>runu benchmarks</title><style>{STYLE}</style>"
                    f"<h1>runu benchmarks</h1>{''.join(parts)}\n")
    return page
