"""Image tasks (invoke collection `images`): build a recipe for a target, report its footprint."""

from pathlib import Path

from invoke import task
from rich.console import Console

from runu.treedigest import VERIFY_KEY
from unikraft_build import recipe
from unikraft_build.targets import build_image, output_dir

console = Console(stderr=True)
REPORTS = Path(__file__).resolve().parent.parent / "reports" / "footprint"


@task(help={"name": f"a recipe in images/ ({', '.join(recipe.names())}), or all",
            "target": "docker (default), oci or bundle", "profile": "kernel profile (default: the recipe's)",
            "arch": "the image's architecture, Debian's name: amd64 or arm64 (default: the host's)"})
def build(c, name, target="docker", profile=None, arch=None):
    """Build an image recipe into a Docker image, an OCI image layout or a runtime bundle (cached)."""
    for each in recipe.names() if name == "all" else [name]:
        b = build_image(each, target, profile, arch)
        state = "cache hit" if b.cached else "built"
        console.print(f"[bold]{each}[/bold] ({b.recipe.profile}, {b.recipe.architecture}) -> {target} {b.where}: "
                      f"{state} in {b.seconds:.1f} s")


def boot_ms(bundle: Path, runs: int = 10) -> list[float]:
    """`runu run` of `true` in a copy of `bundle`'s config (same rootfs, same profile, no
    integrity check: verify_ms tells that apart), in ms from the CLI's start to the guest's exit."""
    import json
    import subprocess
    import sys
    import tempfile
    import time

    runu = str(Path(sys.executable).parent / "runu")
    spec = json.loads((bundle / "config.json").read_text())
    spec["process"]["args"] = ["true"]
    spec["root"]["path"] = str(bundle / "rootfs")
    spec["annotations"][VERIFY_KEY] = "false"
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "config.json").write_text(json.dumps(spec))
        for i in range(runs):
            started = time.perf_counter()
            subprocess.run([runu, "--root", f"{tmp}/state", "run", "--bundle", tmp, f"boot{i}"],
                           check=True, stdout=subprocess.DEVNULL, timeout=60)
            times.append((time.perf_counter() - started) * 1000)
    return times


def footprint(name: str, profiles: list[str], runs: int) -> dict:
    """The report's data: the image once, each profile's kernel and boot time."""
    import gzip
    import json
    import statistics
    import time

    from runu.integrity import verify
    from runu.kernels import find_kernel
    from unikraft_build.footprint import elf_breakdown, tree_stats
    from unikraft_build.images import rootfs_tarball
    from kernelbuild import arches
    from kernelbuild.kernel import unstripped

    report = {"image": name, "profiles": {}}
    for profile in profiles:
        built = build_image(name, "bundle", profile)
        if "rootfs" not in report:
            tar = rootfs_tarball(built.tree)
            report["rootfs"] = {**tree_stats(built.tree), "layer_tar_bytes": len(tar),
                                "layer_gzip_bytes": len(gzip.compress(tar, compresslevel=6, mtime=0))}
        kernel = find_kernel(profile)
        bundle = output_dir(name, "bundle", profile)
        times = boot_ms(bundle, runs)
        if "verify_ms" not in report["rootfs"]:
            started = time.perf_counter()
            verify(bundle, json.loads((bundle / "config.json").read_text()))
            report["rootfs"]["verify_ms"] = round((time.perf_counter() - started) * 1000, 1)
        report["profiles"][profile] = {
            "kernel_version": kernel.version,
            "kernel_bytes": kernel.path.stat().st_size,
            "enabled_options": len([line for line in (kernel.path.parent / "config").read_text().splitlines()
                                    if line.startswith("CONFIG_") and line.endswith(("=y", "=m"))]),
            "elf": elf_breakdown(unstripped(profile, arches.lookup(kernel.arch), kernel.config_hash)),
            "boot_ms": {"median": round(statistics.median(times), 1), "min": round(min(times), 1),
                        "max": round(max(times), 1), "runs": len(times)},
        }
    return report


def print_report(report: dict) -> None:
    from rich.table import Table

    mb = lambda b: f"{b / 1e6:.2f} MB"  # noqa: E731
    r = report["rootfs"]
    console.print(f"[bold]{report['image']}[/bold]: rootfs {r['files']} files, {mb(r['bytes'])}; "
                  f"layer {mb(r['layer_tar_bytes'])} (gzip {mb(r['layer_gzip_bytes'])}); "
                  f"integrity check {r['verify_ms']:.0f} ms")
    profiles = report["profiles"]
    table = Table(title=f"kernel footprint and boot time, {report['image']}")
    table.add_column("")
    for p in profiles:
        table.add_column(p, justify="right")
    rows = [("kernel (stripped)", lambda k: mb(k["kernel_bytes"])),
            ("loaded sections", lambda k: mb(k["elf"]["loaded_bytes"])),
            *((f"  {s}", lambda k, s=s: mb(k["elf"]["sections"].get(s, 0)))
              for s in (".text", ".data", ".rodata", ".bss", ".eh_frame", ".init.text")),
            ("enabled options", lambda k: str(k["enabled_options"])),
            ("boot: runu run true (median)", lambda k: f"{k['boot_ms']['median']:.0f} ms"),
            ("boot: min .. max", lambda k: f"{k['boot_ms']['min']:.0f} .. {k['boot_ms']['max']:.0f} ms")]
    for label, cell in rows:
        table.add_row(label, *(cell(k) for k in profiles.values()))
    console.print(table)
    symbols = Table(title="largest kernel symbols")
    for p in profiles:
        symbols.add_column(p)
    tops = [k["elf"]["top_symbols"][:8] for k in profiles.values()]
    for row in zip(*tops):
        symbols.add_row(*(f"{s['name']} ({s['bytes'] / 1024:.0f} KiB {s['kind']})" for s in row))
    console.print(symbols)


@task(help={"name": "a recipe in images/", "runs": "boots per profile for the median (default 10)"})
def report(c, name, runs=10):
    """Footprint of an image: rootfs, kernel ELF breakdown and boot time, default and tiny side by side."""
    import json

    from kernelbuild import profiles

    data = footprint(name, profiles.names(), int(runs))
    print_report(data)
    out = REPORTS / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2) + "\n")
    console.print(f"written {out}")
