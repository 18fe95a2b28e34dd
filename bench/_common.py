"""Shared plumbing of the benchmarks: memory readings, floor checks and the side-by-side report.

Memory is read from the kernel, not traced: `ru_maxrss` is the peak resident set of the process so
far (tracing allocations would distort the timings), and `/proc/self/statm` gives the current one.
"""

from __future__ import annotations

import json
import os
import resource
import sys
from dataclasses import asdict, dataclass

MB = 1024 * 1024


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports ru_maxrss in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """Resident memory right now, in MB; falls back to the peak where /proc is missing."""
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
    except OSError:
        return peak_rss_mb()
    return pages * os.sysconf("SC_PAGE_SIZE") / MB


@dataclass(frozen=True)
class Floor:
    """One acceptance floor: the measured value, the bound and which side of it passes."""

    name: str
    measured: float
    bound: float
    at_most: bool  # True: measured <= bound passes; False: measured >= bound passes
    unit: str = ""

    @property
    def passed(self) -> bool:
        return self.measured <= self.bound if self.at_most else self.measured >= self.bound

    def line(self) -> str:
        op = "<=" if self.at_most else ">="
        verdict = "PASS" if self.passed else "FAIL"
        bound = f"{self.bound:,.2f}{self.unit}"
        return f"  {verdict}  {self.name}: {self.measured:,.2f}{self.unit} (floor {op} {bound})"


def print_table(title: str, rows: list[tuple[str, str, str]], header: tuple[str, str, str]) -> None:
    """A three-column table (what, tiersight, baseline) on stdout."""
    width, ours_w, theirs_w = (max(len(r[i]) for r in [header, *rows]) for i in range(3))
    print(f"\n{title}")
    for what, ours, theirs in [header, *rows]:
        print(f"  {what:<{width}}  {ours:>{ours_w}}  {theirs:>{theirs_w}}")


def report(data: dict[str, object], floors: list[Floor], as_json: bool) -> None:
    """Print the floors, or everything as one JSON document when asked."""
    if as_json:
        data = {**data, "floors": [{**asdict(f), "passed": f.passed} for f in floors]}
        json.dump(data, sys.stdout, indent=2)
        print()
        return
    print("\nFloors")
    for floor in floors:
        print(floor.line())
