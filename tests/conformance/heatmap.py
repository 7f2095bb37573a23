"""The conformance matrix as a PNG heatmap: one column per
stack, one row per case, grouped by protocol; not-run columns say why."""
import textwrap
from pathlib import Path

from .registry import SHOULD
from .results import FAIL, NOT_RUN, PASS

COLOURS = {PASS: "#3a9d5d", FAIL: "#d1495b", NOT_RUN: "#d9d9d9"}


def _column_label(name: str, summary: dict, total: int) -> str:
    if summary[NOT_RUN] == total:
        return f"{name}\nnot run"
    return f"{name}\n{summary[PASS]}/{total} pass\n{summary['must_fail']} MUST failed"


def draw(matrix: dict, path: Path) -> None:
    """Write the heatmap of ``matrix`` (as report.py builds it) to ``path``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    stacks, rows = list(matrix["stacks"]), matrix["cases"]
    order = list(COLOURS)
    grid = [[order.index(row["results"].get(s, {"outcome": NOT_RUN})["outcome"]) for s in stacks]
            for row in rows]
    fig, ax = plt.subplots(figsize=(3.2 + 1.15 * len(stacks), 0.15 * len(rows) + 2.4))
    ax.imshow(grid, cmap=ListedColormap(list(COLOURS.values())), vmin=0, vmax=len(order) - 1,
              aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(stacks)), [_column_label(s, matrix["stacks"][s], len(rows))
                                       for s in stacks], fontsize=8)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(rows)), [r["id"] for r in rows], fontsize=6)
    for label, row in zip(ax.get_yticklabels(), rows):
        if row["level"] == SHOULD:
            label.set_color("#707070")
            label.set_style("italic")
    for x, stack in enumerate(stacks):
        reason = matrix["stacks"][stack]["not_run_reason"].removeprefix(f"{stack} not run: ")
        if reason:
            ax.text(x, len(rows) / 2, textwrap.fill(reason, 90), rotation=90, ha="center",
                    va="center", fontsize=6.5, color="#404040", zorder=3,
                    bbox={"facecolor": COLOURS[NOT_RUN], "edgecolor": "none"})
    _protocol_bands(ax, rows)
    ax.set_xticks([x - 0.5 for x in range(1, len(stacks))], minor=True)
    ax.grid(which="minor", axis="x", color="white", linewidth=2)
    ax.tick_params(which="minor", length=0)
    ax.legend(handles=[Patch(color=c, label=o) for o, c in COLOURS.items()], ncol=len(COLOURS),
              loc="upper center", bbox_to_anchor=(0.5, -0.005), fontsize=8, frameon=False,
              title="case labels: MUST in black, SHOULD in grey italics", title_fontsize=7.5)
    ax.set_title(f"RFC conformance by stack ({len(rows)} cases)", fontsize=10, pad=10)
    fig.savefig(path, dpi=130, bbox_inches="tight")  # "tight": long case names stay whole
    plt.close(fig)


def _protocol_bands(ax, rows: list[dict]) -> None:
    """A rule between protocols and the protocol's name on the right edge."""
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i]["protocol"] != rows[start]["protocol"]:
            if i < len(rows):
                ax.axhline(i - 0.5, color="black", linewidth=1.2)
            name = rows[start]["protocol"].upper().replace("IPV", "IPv")
            ax.text(1.01, 1 - (start + i) / 2 / len(rows), name,
                    transform=ax.transAxes, rotation=90, va="center", fontsize=8)
            start = i
