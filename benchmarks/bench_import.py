"""Import cost of the package against geopandas itself, measured in the same run.

    python benchmarks/bench_import.py [--repeat 7]

Each line is the median wall time of a fresh interpreter doing one thing:
starting up, importing geopandas, importing spatial_planner, and importing it
and touching a public name (which loads the whole API), with the difference
to geopandas.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

CASES = {
    "python -c pass": "pass",
    "import geopandas": "import geopandas",
    "import spatial_planner": "import spatial_planner",
    "spatial_planner.load_henan (io only)": "import spatial_planner as sp; sp.load_henan",
    "spatial_planner.build_plan (the pipeline)": "import spatial_planner as sp; sp.build_plan",
    "spatial-planner --help": "from spatial_planner.cli import main; import sys; sys.argv=['x','--help']\n"
                              "try:\n    main()\nexcept SystemExit:\n    pass",
}


def median_seconds(code: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)
    results = {name: median_seconds(code, args.repeat) for name, code in CASES.items()}
    base = results["import geopandas"]
    for name, seconds in results.items():
        print(f"{name:42s} {seconds:6.3f} s   ({seconds - base:+.3f} s against import geopandas)")


if __name__ == "__main__":
    main()
