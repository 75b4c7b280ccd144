"""Turns the export benchmark's JSON lines into the tables in BENCHMARKS.md."""

import json
import sys

lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
ours = [l for l in lines if l["tool"] == "guildtrack"]
py = {(l["format"], l["rows"]): l for l in lines if l["tool"] == "python"}
cli = {l["rows"]: l for l in lines if l["tool"] == "sqlite3-cli"}
need = {"csv": 5, "json": 5, "xlsx": 4}

print("| database | format | posts | Guildtrack | rows/s | peak RSS | Python (SQLite) | Python ÷ Guildtrack | `sqlite3 -csv` |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for l in ours:
    p = py.get((l["format"], l["rows"]))
    # The targets compare like with like: both read the same SQLite file.
    target = f'needs {need[l["format"]]}×' if l["db"] == "sqlite" else "for reference"
    ratio = f'{p["seconds"] / l["seconds"]:.1f}× ({target})' if p else "—"
    c = cli.get(l["rows"]) if l["format"] == "csv" else None
    print(f'| {l["db"]} | {l["format"]} | {l["rows"]:,} | {l["seconds"]:.2f} s | '
          f'{l["rows_per_sec"]:,.0f} | {l["peak_rss_mib"]:.0f} MiB | '
          f'{p["seconds"]:.2f} s | {ratio} | ' + (f'{c["seconds"]:.2f} s' if c else "—") + " |")

print()
print("| database | format | peak RSS 10k | peak RSS 1M | 1M / 10k (≤ 1.5) |")
print("|---|---|---:|---:|---:|")
for db in sorted({l["db"] for l in ours}):
    for fmt in ["csv", "json", "xlsx"]:
        by = {l["rows"]: l["peak_rss_mib"] for l in ours if l["db"] == db and l["format"] == fmt}
        if by:
            lo, hi = by[min(by)], by[max(by)]
            print(f"| {db} | {fmt} | {lo:.0f} MiB | {hi:.0f} MiB | {hi / lo:.2f} |")
for l in lines:
    if l["tool"] == "pg-read":
        print()
        print(f'PostgreSQL reads of {l["rows"]:,} posts: sqlx streaming {l["sqlx_streaming_seconds"]:.2f} s, '
              f'COPY … TO STDOUT {l["copy_to_stdout_seconds"]:.2f} s (raw bytes, before any parsing).')
