"""Fault-injection run: every scenario of issues 9 and 15 (among them "probe while encoding"), the
cheap ones 20 times, and a summary table.

    .venv/bin/python bench/faults.py [--repeat 20] [--outage 60] [-k EXPR]

Runs the tests marked ``fault`` (tests/faults/ and the browser ones under tests/e2e/) with
FAULT_REPEAT and FAULT_OUTAGE_SECONDS set, collects each scenario's tally (attempts, recovered,
lost and what every attempt measured), prints the table and writes bench/results/faults.json
and, when matplotlib is importable, docs/benchmarks/faults.png. Under `make test` the same
scenarios run once, with a short storage outage.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
PATHS = ["tests/faults", "tests/e2e/test_upload_faults_browser.py"]


def seconds_of(figures):
    """The per-attempt durations a scenario recorded (any figure named ``seconds...``)."""
    found = []
    for figure in figures:
        values = [v for k, v in figure.items() if k.startswith("seconds") and isinstance(v, (int, float))]
        if values:
            found.append(values[0])
    return found


def table(tallies):
    lines = [f"{'scenario':<58} {'attempts':>8} {'recovered':>9} {'lost':>5} {'median s':>9} {'max s':>7}"]
    for tally in tallies:
        times = seconds_of(tally["figures"])
        median = f"{statistics.median(times):.1f}" if times else "–"
        most = f"{max(times):.1f}" if times else "–"
        lines.append(f"{tally['scenario']:<58} {tally['attempts']:>8} {tally['recovered']:>9} {tally['lost']:>5} "
                     f"{median:>9} {most:>7}")
    total = [sum(t[key] for t in tallies) for key in ("attempts", "recovered", "lost")]
    lines.append(f"{'all scenarios':<58} {total[0]:>8} {total[1]:>9} {total[2]:>5}")
    return "\n".join(lines)


def chart(tallies, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    timed = [(t["scenario"], seconds_of(t["figures"])) for t in tallies]
    timed = [(name, times) for name, times in timed if times]
    if not timed:
        return False
    fig, ax = plt.subplots(figsize=(10, 0.6 * len(timed) + 1.5))
    ax.boxplot([times for _name, times in timed], vert=False, widths=0.5)
    ax.set_yticks(range(1, len(timed) + 1), [name.replace("test_", "") for name, _t in timed], fontsize=8)
    ax.set_xlabel("seconds from the fault to a recovered upload or a ready film")
    ax.set_title("Fault scenarios: time to recover (every attempt recovered, none lost)"
                 if all(t["recovered"] == t["attempts"] and not t["lost"] for t in tallies)
                 else "Fault scenarios: time to recover")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="repeats of the cheap scenarios (costly ones cap it)")
    parser.add_argument("--outage", type=int, default=60, help="seconds the storage endpoint is down")
    parser.add_argument("-k", dest="keyword", help="only the scenarios matching this pytest -k expression")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
        report = Path(tmp) / "tallies.jsonl"
        env = dict(os.environ, FAULT_REPEAT=str(args.repeat), FAULT_OUTAGE_SECONDS=str(args.outage),
                   FAULT_REPORT=str(report))
        command = [str(PYTHON), "-m", "pytest", "-m", "fault", "-q", "-p", "no:cacheprovider", *PATHS]
        if args.keyword:
            command += ["-k", args.keyword]
        print(" ".join(command[2:]), f"(FAULT_REPEAT={args.repeat}, FAULT_OUTAGE_SECONDS={args.outage})", flush=True)
        started = time.monotonic()
        code = subprocess.call(command, cwd=ROOT, env=env)
        wall = time.monotonic() - started
        tallies = [json.loads(line) for line in report.read_text().splitlines()] if report.exists() else []

    print(f"\n{table(tallies)}\n\nwall time {wall / 60:.1f} min; pytest exit code {code}")
    result = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "repeat": args.repeat,
              "outage_s": args.outage, "wall_s": round(wall, 1), "pytest_exit": code, "nproc": os.cpu_count(),
              "tallies": tallies}
    out = ROOT / "bench" / "results" / "faults.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    png = ROOT / "docs" / "benchmarks" / "faults.png"
    print(f"results: {out}" + (f"\nchart: {png}" if chart(tallies, png) else ""))
    return code


if __name__ == "__main__":
    sys.exit(main())
