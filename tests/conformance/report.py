"""The conformance matrix as JSON, Markdown and a PNG heatmap.

Reports merge: stacks run this time replace their column, other stacks keep the one recorded
before, so ``--stack NAME`` refreshes one column of the committed report.
"""
import datetime
import json
from pathlib import Path

from .registry import MUST, Case
from .results import FAIL, NOT_RUN, PASS, Result

MARK = {PASS: "pass", FAIL: "**FAIL**", NOT_RUN: "not run"}


def _merge(results: list[Result], cases: list[Case], stacks: list[str], old: dict) -> dict:
    by_key = {(r.stack, r.case): r for r in results}
    columns = list(dict.fromkeys([*old.get("stacks", {}), *stacks]))
    matrix = {"generated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "stacks": {}, "cases": []}
    old_cases = {c["id"]: c for c in old.get("cases", [])}
    for case in cases:
        row = {"id": case.id, "protocol": case.protocol, "rfc": case.rfc, "clause": case.clause,
               "level": case.level, "title": case.title, "results": {}}
        for stack in columns:
            if stack in stacks:
                r = by_key.get((stack, case.id))
                row["results"][stack] = ({"outcome": r.outcome, "detail": r.detail} if r
                                         else {"outcome": NOT_RUN, "detail": "deselected"})
            elif stack in old_cases.get(case.id, {}).get("results", {}):
                row["results"][stack] = old_cases[case.id]["results"][stack]
        matrix["cases"].append(row)
    for stack in columns:
        outcomes = [row["results"].get(stack, {"outcome": NOT_RUN}) for row in matrix["cases"]]
        count = {o: sum(1 for x in outcomes if x["outcome"] == o) for o in (PASS, FAIL, NOT_RUN)}
        must_fail = sum(1 for row, x in zip(matrix["cases"], outcomes)
                        if x["outcome"] == FAIL and row["level"] == MUST)
        reason = next((x["detail"] for x in outcomes if x["outcome"] == NOT_RUN), "")
        matrix["stacks"][stack] = {**count, "must_fail": must_fail,
                                   "not_run_reason": reason if count[NOT_RUN] == len(outcomes) else ""}
    return matrix


def _markdown(matrix: dict) -> str:
    stacks = list(matrix["stacks"])
    lines = ["# Network-stack conformance", "",
             f"Generated {matrix['generated']} by `invoke conformance`"
             f" ({len(matrix['cases'])} cases from the RFCs, driven by scapy).", "",
             "| stack | pass | fail | of which MUST | not run |", "|---|---|---|---|---|"]
    for stack, s in matrix["stacks"].items():
        note = f" ({s['not_run_reason']})" if s["not_run_reason"] else ""
        lines.append(f"| {stack} | {s[PASS]} | {s[FAIL]} | {s['must_fail']} | {s[NOT_RUN]}{note} |")
    lines += ["", "## Matrix", "", "| case | RFC | clause | level | " + " | ".join(stacks) + " |",
              "|---|---|---|---|" + "---|" * len(stacks)]
    for row in matrix["cases"]:
        cells = [MARK[row["results"].get(s, {"outcome": NOT_RUN})["outcome"]] for s in stacks]
        lines.append(f"| `{row['id']}` {row['title']} | {row['rfc']} | {row['clause']} | "
                     f"{row['level']} | " + " | ".join(cells) + " |")
    lines += ["", "## Failures", ""]
    for row in matrix["cases"]:
        for stack in stacks:
            result = row["results"].get(stack)
            if result and result["outcome"] == FAIL:
                lines.append(f"- **{stack}** `{row['id']}` ({row['rfc']} {row['clause']}, "
                             f"{row['level']}): {result['detail']}")
    return "\n".join(lines) + "\n"


def _heatmap(matrix: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    stacks, rows = list(matrix["stacks"]), matrix["cases"]
    code = {PASS: 0, FAIL: 1, NOT_RUN: 2}
    grid = [[code[row["results"].get(s, {"outcome": NOT_RUN})["outcome"]] for s in stacks]
            for row in rows]
    colours = ["#3a9d5d", "#d1495b", "#c8c8c8"]
    fig, ax = plt.subplots(figsize=(2.2 + 1.1 * len(stacks), 0.16 * len(rows) + 1.6))
    ax.imshow(grid, cmap=ListedColormap(colours), vmin=0, vmax=2, aspect="auto",
              interpolation="nearest")
    ax.set_xticks(range(len(stacks)), [f"{s}\n{matrix['stacks'][s][PASS]}/{len(rows)}"
                                       for s in stacks])
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(rows)), [r["id"] for r in rows], fontsize=6)
    for i in range(1, len(rows)):
        if rows[i]["protocol"] != rows[i - 1]["protocol"]:
            ax.axhline(i - 0.5, color="black", linewidth=1.2)
    ax.set_xticks([x - 0.5 for x in range(1, len(stacks))], minor=True)
    ax.grid(which="minor", axis="x", color="white", linewidth=2)
    ax.tick_params(which="minor", length=0)
    ax.legend(handles=[Patch(color=c, label=l) for c, l in zip(colours, (PASS, FAIL, NOT_RUN))],
              loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=3, fontsize=8, frameon=False)
    ax.set_title("RFC conformance\nby stack", fontsize=9, pad=28)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def write_reports(results: list[Result], cases: list[Case], stacks: list[str], target) -> dict:
    """Merge ``results`` into ``target``/conformance.json and rewrite the .md and .png beside it."""
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    json_path = target / "conformance.json"
    old = json.loads(json_path.read_text()) if json_path.exists() else {}
    matrix = _merge(results, cases, stacks, old)
    json_path.write_text(json.dumps(matrix, indent=1) + "\n")
    (target / "conformance.md").write_text(_markdown(matrix))
    _heatmap(matrix, target / "conformance.png")
    return matrix
