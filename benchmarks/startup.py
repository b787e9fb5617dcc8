"""Start-up time of the command line: ``cleaner --help`` and ``cleaner clean
--help`` must answer within 0.2 s, so nothing heavy (trafilatura, numba, the
rule tables) may be imported before a command runs.

    python benchmarks/startup.py [--runs 15]

Each command runs ``--runs`` times in a fresh interpreter; the table gives the
fastest and the median wall time, beside a bare ``python -c pass`` (the floor)
and ``trafilatura --help`` when it is installed (a point of comparison). The
median is what the target is about; the fastest is what the machine allows
when it is not busy. Exits 0; prints over-target figures as such.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET = 0.2


def timed(cmd: list[str], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    bindir = Path(sys.executable).parent
    cleaner = shutil.which("cleaner", path=str(bindir)) or shutil.which("cleaner")
    rows = [("python -c pass", [sys.executable, "-c", "pass"])]
    if cleaner:
        rows += [("cleaner --help", [cleaner, "--help"]), ("cleaner clean --help", [cleaner, "clean", "--help"])]
    else:
        print("the cleaner command is not installed here (pip install .); timing python -m cleaner instead")
    rows += [("python -m cleaner --help", [sys.executable, "-m", "cleaner", "--help"])]
    traf = shutil.which("trafilatura", path=str(bindir)) or shutil.which("trafilatura")
    if traf:
        rows.append(("trafilatura --help", [traf, "--help"]))
    print(f"{'command':28} {'fastest':>8} {'median':>8}")
    for name, cmd in rows:
        fastest, median = timed(cmd, args.runs)
        flag = "" if not name.startswith(("cleaner", "python -m cleaner")) else \
            ("  ok" if median < TARGET else f"  over the {TARGET} s target")
        print(f"{name:28} {fastest:8.3f} {median:8.3f}{flag}")


if __name__ == "__main__":
    main()
