"""Turning runs into figures: per-workload medians and ratios, the stdout table, JSON and chart.

``latest.json`` holds one object per workload id with the keys issue 3 names
(``sluice_records_per_s``, ``java_records_per_s``, ``raw_records_per_s``, ``ratio_vs_java``,
``ratio_vs_raw``, ``sluice_peak_rss_mb``, ``java_peak_rss_mb``) plus MB/s, CPU seconds per million
records and the individual runs. A key that does not apply to a workload is ``null``: B0 rows
have only raw figures; B4 measures start-up and idle memory instead of a rate
(``*_startup_s``, ``*_idle_rss_mb`` and their ratios). ``latest-run.json`` records how the run
was made (machine load, versions, client settings).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.raw import RawResult
from bench.workloads import RunResult, Workload, as_dict

__all__ = ["b0_entry", "render_table", "workload_entry", "write_chart", "write_json"]


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def b0_entry(
    workload_id: str, size: int, runs: list[RawResult], errors: list[str]
) -> dict[str, Any]:
    rate = _median([r.records_per_s for r in runs])
    return {
        "kind": "raw",
        "records": runs[0].records if runs else None,
        "record_bytes": size,
        "sluice_records_per_s": None,
        "java_records_per_s": None,
        "raw_records_per_s": _round(rate, 1),
        "raw_mb_per_s": _round(_median([r.mb_per_s for r in runs])),
        "ratio_vs_java": None,
        "ratio_vs_raw": None,
        "sluice_peak_rss_mb": None,
        "java_peak_rss_mb": None,
        "raw_peak_rss_mb": _round(_median([r.peak_rss_mb for r in runs]), 1),
        "runs": {"raw": [round(r.records_per_s, 1) for r in runs]},
        "errors": errors,
    }


def _side_figures(
    prefix: str, workload: Workload, runs: list[RunResult]
) -> dict[str, float | None]:
    rate = _median([r.records_per_s for r in runs])
    cpu_per_m = _median([r.cpu_s / r.records * 1e6 for r in runs if r.records])
    return {
        f"{prefix}_records_per_s": _round(rate, 1),
        f"{prefix}_mb_per_s": _round(None if rate is None else rate * workload.record_bytes / 1e6),
        f"{prefix}_cpu_s_per_million": _round(cpu_per_m),
        f"{prefix}_peak_rss_mb": _round(_median([r.peak_rss_mb for r in runs]), 1),
    }


def workload_entry(
    workload: Workload,
    runs: dict[str, list[RunResult]],
    errors: dict[str, list[str]],
    raw: dict[str, Any] | None,
) -> dict[str, Any]:
    sluice = runs.get("sluice", [])
    java = runs.get("java", [])
    entry: dict[str, Any] = {
        "kind": workload.kind,
        "records": workload.count,
        "record_bytes": round(workload.record_bytes, 1),
        "target": workload.target,
    }
    if workload.kind == "idle":
        s_start = _median([r.extra["startup_s"] for r in sluice])
        j_start = _median([r.extra["startup_s"] for r in java])
        s_rss = _median([r.extra["idle_rss_mb"] for r in sluice])
        j_rss = _median([r.extra["idle_rss_mb"] for r in java])
        entry.update(
            {
                "sluice_records_per_s": None,
                "java_records_per_s": None,
                "raw_records_per_s": None,
                "ratio_vs_java": None,
                "ratio_vs_raw": None,
                "sluice_startup_s": _round(s_start),
                "java_startup_s": _round(j_start),
                "ratio_startup_vs_java": _round(_ratio(s_start, j_start)),
                "sluice_idle_rss_mb": _round(s_rss, 1),
                "java_idle_rss_mb": _round(j_rss, 1),
                "ratio_idle_rss_vs_java": _round(_ratio(s_rss, j_rss)),
                "sluice_peak_rss_mb": _round(_median([r.peak_rss_mb for r in sluice]), 1),
                "java_peak_rss_mb": _round(_median([r.peak_rss_mb for r in java]), 1),
            }
        )
        variant = runs.get("java_sl", [])
        if variant:
            v_start = _median([r.extra["startup_s"] for r in variant])
            v_rss = _median([r.extra["idle_rss_mb"] for r in variant])
            entry.update(
                {
                    "java_service_load_startup_s": _round(v_start),
                    "java_service_load_idle_rss_mb": _round(v_rss, 1),
                    "java_service_load_peak_rss_mb": _round(
                        _median([r.peak_rss_mb for r in variant]), 1
                    ),
                    "ratio_startup_vs_java_service_load": _round(_ratio(s_start, v_start)),
                    "ratio_idle_rss_vs_java_service_load": _round(_ratio(s_rss, v_rss)),
                }
            )
        r1, r2 = entry["ratio_idle_rss_vs_java"], entry["ratio_startup_vs_java"]
        entry["target_met"] = None if r1 is None or r2 is None else r1 <= 0.25 and r2 <= 0.25
    else:
        entry.update(_side_figures("sluice", workload, sluice))
        entry.update(_side_figures("java", workload, java))
        raw_rate = raw.get("raw_records_per_s") if raw else None
        entry["raw_records_per_s"] = raw_rate
        entry["raw_id"] = workload.raw_id
        entry["ratio_vs_java"] = _round(
            _ratio(entry["sluice_records_per_s"], entry["java_records_per_s"])
        )
        entry["ratio_vs_raw"] = _round(_ratio(entry["sluice_records_per_s"], raw_rate))
        entry["java_ratio_vs_raw"] = _round(_ratio(entry["java_records_per_s"], raw_rate))
        vs_java, vs_raw = entry["ratio_vs_java"], entry["ratio_vs_raw"]
        if workload.id.startswith("B3"):
            entry["target_met"] = None if vs_java is None else vs_java >= 0.8
        elif workload.id.startswith("B5"):
            one_task = workload.id.endswith("-1t")
            entry["target_met"] = None if vs_java is None or one_task else vs_java >= 1.5
        else:
            entry["target_met"] = (
                None if vs_java is None or vs_raw is None else vs_java >= 1.5 and vs_raw >= 0.5
            )
    entry["runs"] = {side: [as_dict(r) for r in rs] for side, rs in runs.items()}
    entry["errors"] = [f"{side}: {e}" for side, es in errors.items() for e in es]
    return entry


# -- output ------------------------------------------------------------------------------------


def _fmt(value: Any, spec: str = ",.0f") -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    return format(value, spec)


def render_table(results: dict[str, dict[str, Any]]) -> str:
    head = (
        f"{'workload':<16}{'sluice rec/s':>13}{'java rec/s':>12}{'raw rec/s':>12}"
        f"{'s/java':>8}{'s/raw':>7}{'s MB/s':>8}{'j MB/s':>8}{'s CPU/M':>9}{'j CPU/M':>9}"
        f"{'s RSS':>8}{'j RSS':>8}  target"
    )
    lines = [head, "-" * len(head)]
    for wid, e in results.items():
        if e["kind"] == "raw":
            lines.append(
                f"{wid:<16}{'':>13}{'':>12}{_fmt(e['raw_records_per_s']):>12}{'':>8}{'':>7}"
                f"{_fmt(e['raw_mb_per_s'], '.1f'):>8}{'':>8}{'':>9}{'':>9}"
                f"{'':>8}{_fmt(e['raw_peak_rss_mb']):>8}  (perf tool; RSS in j column)"
            )
        elif e["kind"] == "idle":
            lines.append(
                f"{wid:<16}start-up {_fmt(e['sluice_startup_s'], '.2f')} s vs "
                f"{_fmt(e['java_startup_s'], '.2f')} s (x{_fmt(e['ratio_startup_vs_java'], '.2f')})"
                f"; idle RSS {_fmt(e['sluice_idle_rss_mb'], '.0f')} MB vs "
                f"{_fmt(e['java_idle_rss_mb'], '.0f')} MB "
                f"(x{_fmt(e['ratio_idle_rss_vs_java'], '.2f')})  "
                f"{e['target']} met: {_fmt(e['target_met'])}"
            )
            if e.get("java_service_load_startup_s") is not None:
                lines.append(
                    f"{'':<16}vs Kafka Connect with plugin.discovery=service_load: start-up "
                    f"{_fmt(e['java_service_load_startup_s'], '.2f')} s "
                    f"(x{_fmt(e['ratio_startup_vs_java_service_load'], '.2f')}), idle RSS "
                    f"{_fmt(e['java_service_load_idle_rss_mb'], '.0f')} MB "
                    f"(x{_fmt(e['ratio_idle_rss_vs_java_service_load'], '.2f')})"
                )
        else:
            lines.append(
                f"{wid:<16}{_fmt(e['sluice_records_per_s']):>13}{_fmt(e['java_records_per_s']):>12}"
                f"{_fmt(e['raw_records_per_s']):>12}{_fmt(e['ratio_vs_java'], '.2f'):>8}"
                f"{_fmt(e['ratio_vs_raw'], '.2f'):>7}{_fmt(e['sluice_mb_per_s'], '.1f'):>8}"
                f"{_fmt(e['java_mb_per_s'], '.1f'):>8}"
                f"{_fmt(e['sluice_cpu_s_per_million'], '.1f'):>9}"
                f"{_fmt(e['java_cpu_s_per_million'], '.1f'):>9}"
                f"{_fmt(e['sluice_peak_rss_mb']):>8}{_fmt(e['java_peak_rss_mb']):>8}  "
                f"{e['target']} met: {_fmt(e['target_met'])}"
            )
        for err in e.get("errors", []):
            lines.append(f"{'':<16}! {err.splitlines()[0][:150]}")
    lines.extend(_b5_scaling(results))
    lines.append(
        "rec/s and MB/s: medians of the measured runs; CPU/M: worker CPU seconds per million "
        "records; RSS: peak MB"
    )
    return "\n".join(lines)


def b5_scaling(results: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    """records/s with N tasks over records/s with one, per B5 direction, side and N."""
    out: dict[str, float | None] = {}
    for wid, e in results.items():
        if not wid.startswith("B5-") or wid.endswith("-1t"):
            continue
        base = results.get(wid.rsplit("-", 1)[0] + "-1t")
        if base is None:
            continue
        for side in ("sluice", "java"):
            key = f"{side}_records_per_s"
            out[f"{wid} {side}"] = _round(_ratio(e.get(key), base.get(key)))
    return out


def _b5_scaling(results: dict[str, dict[str, Any]]) -> list[str]:
    scaling = b5_scaling(results)
    if not scaling:
        return []
    text = ", ".join(f"{k} x{_fmt(v, '.2f')}" for k, v in scaling.items())
    return [f"B5 scaling (N tasks vs 1; target sluice 2t >= 1.7): {text}"]


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def write_chart(path: Path, results: dict[str, dict[str, Any]], title: str) -> Path | None:
    """Bars of sluice's ratios with the targets drawn on them; ``None`` without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    labels: list[str] = []
    values: list[float] = []
    targets: list[float] = []
    colors: list[str] = []
    for wid, e in results.items():
        if e["kind"] in ("source", "sink"):
            target = 0.8 if wid.startswith("B3") else 1.5
            for key, name, tgt in (
                ("ratio_vs_java", "vs Java", target),
                ("ratio_vs_raw", "vs raw", 0.5),
            ):
                if wid.startswith("B3") and key == "ratio_vs_raw":
                    tgt = float("nan")
                value = e.get(key)
                labels.append(f"{wid}\n{name}")
                values.append(float(value) if value is not None else 0.0)
                targets.append(tgt)
                ok = value is not None and (tgt != tgt or value >= tgt)
                colors.append("tab:green" if ok else "tab:red")
        elif e["kind"] == "idle":
            for key, name in (
                ("ratio_idle_rss_vs_java", "idle RSS"),
                ("ratio_startup_vs_java", "start-up"),
                ("ratio_idle_rss_vs_java_service_load", "idle RSS\n(service_load)"),
                ("ratio_startup_vs_java_service_load", "start-up\n(service_load)"),
            ):
                if key not in e:
                    continue
                value = e.get(key)
                labels.append(f"{wid}\n{name}")
                values.append(float(value) if value is not None else 0.0)
                targets.append(0.25)
                colors.append("tab:green" if value is not None and value <= 0.25 else "tab:red")
    if not labels:
        return None
    fig, ax = plt.subplots(figsize=(max(8.0, 0.9 * len(labels)), 5.0))
    xs = list(range(len(labels)))
    ax.bar(xs, values, color=colors)
    for x, tgt in zip(xs, targets, strict=True):
        if tgt == tgt:
            ax.hlines(tgt, x - 0.4, x + 0.4, colors="black", linestyles="dashed")
    for x, v in zip(xs, values, strict=True):
        ax.text(x, v, f"{v:.2f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(xs, labels, fontsize=7)
    ax.set_ylabel("sluice / other (dashed: target; B4 lower is better)")
    ax.set_title(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
