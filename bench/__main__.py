"""Run one benchmark: ``python -m bench NAME [options]``; ``python -m bench`` lists them.

A benchmark is a module ``bench/bench_NAME.py`` with ``main(argv)``.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def available() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in Path(__file__).parent.glob("bench_*.py"))


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] in {"-h", "--help"}:
        print("usage: python -m bench NAME [options]\nbenchmarks: " + ", ".join(available()))
        return
    name = sys.argv[1].replace("-", "_")
    if name not in available():
        sys.exit(f"unknown benchmark {name!r}; available: {', '.join(available())}")
    module = importlib.import_module(f"bench.bench_{name}")
    module.main(sys.argv[2:])


if __name__ == "__main__":
    main()
