"""``python -m bench``: sluice side by side with Apache Kafka Connect (issue 3).

``make bench`` runs every workload at the issue's sizes; ``make bench QUICK=1`` (``--quick``) at a
tenth of them. ``--tuned`` gives every contender the tuned client settings. The harness starts
its own broker on ``--port`` (data under ``.cache/bench/kafka``) unless ``--bootstrap`` names one.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.runner import Options, run_bench

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="a tenth of the issue's sizes")
    p.add_argument("--scale", type=float, help="multiply the issue's record counts (min 1000)")
    p.add_argument("--runs", type=int, default=3, help="measured runs per side (default 3)")
    p.add_argument("--warmup", type=int, default=1, help="warm-up runs per side (default 1)")
    p.add_argument("--tuned", action="store_true", help="the tuned client settings profile")
    p.add_argument(
        "--sides", default="sluice,java", help="comma-separated: sluice,java (default both)"
    )
    p.add_argument(
        "--only",
        default="",
        help="comma-separated workload ids or prefixes, e.g. B1,B4-idle; the distributed-mode "
        "D1-failover, D2-rebalance, D3-idle (python -m bench.distributed) run only when named",
    )
    p.add_argument(
        "--distributed-java-defaults",
        action="store_true",
        help="D1 also fails Kafka Connect over with its own defaults (5-minute rebalance delay)",
    )
    p.add_argument("--bootstrap", help="use this broker instead of starting one")
    p.add_argument("--port", type=int, default=19092, help="port of the bench broker")
    p.add_argument("--cache-dir", type=Path, default=Path(".cache/bench"))
    p.add_argument("--results-dir", type=Path, default=Path("bench/results"))
    p.add_argument("--idle-seconds", type=float, help="B4 idle window (default 10, quick 5)")
    p.add_argument(
        "--min-rate",
        type=float,
        default=1000.0,
        help="records/s below which a run counts as stuck (sets the run deadline)",
    )
    p.add_argument(
        "--java-plugin-discovery",
        choices=["only_scan", "hybrid_warn", "hybrid_fail", "service_load"],
        help="Kafka Connect's plugin.discovery (default: Kafka's own default, hybrid_warn)",
    )
    p.add_argument(
        "--settle-seconds",
        type=float,
        default=60.0,
        help="before each run, wait up to this long for the machine to be quiet (0: do not)",
    )
    p.add_argument(
        "--profile-sluice",
        action="store_true",
        help="attach py-spy to each sluice worker (needs py-spy); see python -m bench.hotspots",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    scale = args.scale if args.scale is not None else (0.1 if args.quick else 1.0)
    sides = [s.strip() for s in args.sides.split(",") if s.strip()]
    bad = [s for s in sides if s not in ("sluice", "java")]
    if bad or not sides:
        print(f"--sides: unknown side(s) {bad}; use sluice and/or java", file=sys.stderr)
        return 2
    if args.runs < 1 or args.warmup < 0 or scale <= 0:
        print("--runs must be >= 1, --warmup >= 0 and --scale > 0", file=sys.stderr)
        return 2
    idle = args.idle_seconds if args.idle_seconds is not None else (5.0 if args.quick else 10.0)
    opts = Options(
        scale=scale,
        runs=args.runs,
        warmup=args.warmup,
        profile="tuned" if args.tuned else "default",
        sides=sides,
        only=[o.strip() for o in args.only.split(",") if o.strip()],
        bootstrap=args.bootstrap,
        port=args.port,
        cache_dir=args.cache_dir,
        results_dir=args.results_dir,
        idle_seconds=idle,
        min_rate=args.min_rate,
        java_plugin_discovery=args.java_plugin_discovery,
        profile_sluice=args.profile_sluice,
        settle_seconds=args.settle_seconds,
        distributed_java_defaults=args.distributed_java_defaults,
    )
    results = run_bench(opts)
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
