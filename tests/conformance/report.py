"""The conformance matrix as JSON, Markdown (with a generated reading) and a PNG heatmap.

Reports merge: stacks run this time replace their column, other stacks keep the one recorded
before, so ``--stack NAME`` refreshes one column of the committed report. Columns follow
``order`` (every stack the suite knows); the first is the reference the others are read against.
"""
import datetime
import json
from pathlib import Path

from . import heatmap
from .registry import MUST, Case
from .results import FAIL, NOT_RUN, PASS, Result

MARK = {PASS: "pass", FAIL: "**FAIL**", NOT_RUN: "not run"}


def _merge(results: list[Result], cases: list[Case], stacks: list[str], order: list[str],
           old: dict) -> dict:
    by_key = {(r.stack, r.case): r for r in results}
    columns = [s for s in order if s in stacks or s in old.get("stacks", {})]
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


def _outcomes(matrix: dict, stack: str) -> dict[str, str]:
    return {row["id"]: row["results"].get(stack, {"outcome": NOT_RUN})["outcome"]
            for row in matrix["cases"]}


def _reading(matrix: dict, wiring: dict[str, str]) -> list[str]:
    """One paragraph per stack: how it is wired, its score, and where it parts from the reference."""
    reference, *_ = matrix["stacks"]
    ref = _outcomes(matrix, reference)
    level = {row["id"]: row["level"] for row in matrix["cases"]}
    lines = ["## Reading", "",
             f"Every stack is read against `{reference}`; the reasons for each failure, from the "
             "RFC, are under Failures below.", ""]
    for stack, summary in matrix["stacks"].items():
        if summary["not_run_reason"]:
            reason = summary["not_run_reason"].removeprefix(f"{stack} not run: ")
            lines.append(f"- **{stack}**: not run: {reason}.")
            continue
        head = f"- **{stack}** ({wiring.get(stack, 'no description')}): "
        head += f"{summary[PASS]}/{len(ref)} pass, {summary['must_fail']} MUST failed"
        mine = _outcomes(matrix, stack)
        if stack == reference:
            failed = [f"`{c}` ({level[c]})" for c, o in mine.items() if o == FAIL]
            lines.append(head + (f"; fails {', '.join(failed)}." if failed else "."))
            continue
        worse = [f"`{c}` ({level[c]})" for c, o in mine.items() if o == FAIL and ref[c] == PASS]
        better = [f"`{c}`" for c, o in mine.items() if o == PASS and ref[c] == FAIL]
        unrun = [c for c, o in mine.items() if o == NOT_RUN]
        parts = [f"fails where {reference} passes: {', '.join(worse)}" if worse else "",
                 f"passes where {reference} fails: {', '.join(better)}" if better else "",
                 f"{len(unrun)} cases not run" if unrun else ""]
        parts = [p for p in parts if p] or [f"the same outcome as {reference} on every case"]
        lines.append(head + "; " + "; ".join(parts) + ".")
    return lines + [""]


def _markdown(matrix: dict, wiring: dict[str, str]) -> str:
    stacks = list(matrix["stacks"])
    lines = ["# Network-stack conformance", "",
             f"Generated {matrix['generated']} by `invoke conformance`"
             f" ({len(matrix['cases'])} cases from the RFCs, driven by scapy).", "",
             "| stack | pass | fail | of which MUST | not run |", "|---|---|---|---|---|"]
    for stack, s in matrix["stacks"].items():
        note = f" ({s['not_run_reason']})" if s["not_run_reason"] else ""
        lines.append(f"| {stack} | {s[PASS]} | {s[FAIL]} | {s['must_fail']} | {s[NOT_RUN]}{note} |")
    lines += ["", *_reading(matrix, wiring), "## Matrix", "", "| case | RFC | clause | level | " + " | ".join(stacks) + " |",
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


def write_reports(results: list[Result], cases: list[Case], stacks: list[str], order: list[str],
                  wiring: dict[str, str], target) -> dict:
    """Merge ``results`` into ``target``/conformance.json and rewrite the .md and .png beside it;
    ``wiring`` says in a phrase how each stack is brought up."""
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    json_path = target / "conformance.json"
    old = json.loads(json_path.read_text()) if json_path.exists() else {}
    matrix = _merge(results, cases, stacks, order, old)
    json_path.write_text(json.dumps(matrix, indent=1) + "\n")
    (target / "conformance.md").write_text(_markdown(matrix, wiring))
    heatmap.draw(matrix, target / "conformance.png")
    return matrix
