"""Entry point: ``python -m bench [ID ...] [--runs N]``.

Discovers every module ``bench/<id>_*.py`` that defines ``ID`` and ``run``, runs the ones named
(all when none is), prints a table and merges the rows into ``bench/results.json``.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.harness import write_results


def discover() -> dict[str, ModuleType]:
    found: dict[str, ModuleType] = {}
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name in {"harness", "__main__"} or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if hasattr(module, "ID") and hasattr(module, "run"):
            found[module.ID] = module
    return dict(sorted(found.items()))


def fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("ids", nargs="*", help="benchmark ids such as P1 G1 (default: all)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per benchmark")
    args = parser.parse_args(argv)
    modules = discover()
    wanted = [i.upper() for i in args.ids] or list(modules)
    unknown = [i for i in wanted if i not in modules]
    if unknown:
        print(f"unknown benchmark ids: {', '.join(unknown)}; known: {', '.join(modules)}")
        return 2
    rows = []
    print(f"{'id':<4} {'median s':>10} {'min s':>9} {'max s':>9} {'ref s':>9} {'ratio':>8}  title")
    for bench_id in wanted:
        module = modules[bench_id]
        row = module.run(args.runs)
        rows.append(row)
        print(
            f"{row['id']:<4} {fmt(row.get('median_s')):>10} {fmt(row.get('min_s')):>9} "
            f"{fmt(row.get('max_s')):>9} {fmt(row.get('ref_median_s')):>9} "
            f"{fmt(row.get('ratio'), 2):>8}  {module.TITLE}"
        )
        extras = {k: v for k, v in row.items() if k.endswith(("_per_s", "_bytes", "_ms", "note"))}
        if extras:
            print("     " + ", ".join(f"{k}={fmt(v, 1)}" for k, v in extras.items()))
        sys.stdout.flush()
    write_results(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
