#!/usr/bin/env python3
"""Import throughput and memory, over HTTP on loopback, bounded in count.

A source guild (1,000 accounts and --posts posts, seeded once and kept in
the cache) is exported as JSON through the server (accounts, then posts),
and both files are imported into a new, empty guild as an admin does it:
upload (`POST /g/{guild}/imports`), the dry run, confirmation, the run.
Then the new guild is exported again and compared with the source, item
by item without ids. Prints, per file: upload, check and import times,
items per second, and the server's memory: its peak anonymous (heap)
memory while each file is imported, sampled every 50 ms, and VmHWM (which
also counts SQLite's mapped file and page cache), from a server restarted
just before the imports, so the exports' memory is not counted.

    python3 benchmarks/import.py --db sqlite [--posts 100000]
    python3 benchmarks/import.py --db postgres

It needs the release build (`scripts/run` or `build_site release`) and
starts its own server on port 3198.
"""

import argparse
import json
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import load  # noqa: E402  (Http, Database, Server: the load test's helpers)

SOURCE = "bench-import-src"
USER = "importbench"


def prepare(server, db, posts):
    if not db.scalar(f"SELECT COUNT(*) FROM guilds WHERE slug = '{SOURCE}'"):
        load.say(f"Seeding {posts:,} posts in “{SOURCE}” (once)")
        server.cli("seed", "--guild", SOURCE, "--name", "Import bench", "--accounts", "1000", "--posts", str(posts))
    if not db.scalar(f"SELECT COUNT(*) FROM users WHERE username = '{USER}'"):
        server.cli("user", "add", USER, env={"GUILDTRACK_PASSWORD": load.PASSWORD})
    server.cli("member", "add", SOURCE, USER, "admin")
    target = f"bench-import-{int(time.time())}"
    server.cli("seed", "--guild", target, "--brands", "0", "--groups", "0", "--accounts", "0", "--posts", "0")
    server.cli("member", "add", target, USER, "admin")
    return target


def export(http, guild, entity, path):
    started = http.call(
        "start_export",
        {"guild": guild, "request": {"entity": entity, "format": "Json", "scope": "All", "filename": ""}},
    )
    job = started.get("Ready") or started.get("Queued") or started.get("Started")
    if job is None:
        job = next(iter(started.values()))
    while job["status"] not in ("Done", "Failed", "Cancelled"):
        time.sleep(0.5)
        job = http.call("watch_exports", {"guild": guild, "ids": [job["id"]]})[0]
    assert job["status"] == "Done", job
    status, _, body = http.request("GET", f"/g/{guild}/exports/{job['id']}/download", timeout=600)
    assert status == 200, status
    with open(path, "wb") as f:
        f.write(body)
    return job["total"]


def wait(http, guild, job, busy):
    while job["status"] == busy:
        time.sleep(0.2)
        job = http.call("watch_import", {"guild": guild, "id": job["id"]})
    return job


def import_file(http, guild, path):
    with open(path, "rb") as f:
        body = f.read()
    t0 = time.monotonic()
    status, _, answer = http.request(
        "POST", f"/g/{guild}/imports?name={os.path.basename(path)}", body, "application/octet-stream", timeout=600
    )
    assert status == 201, (status, answer[:300])
    t1 = time.monotonic()
    job = wait(http, guild, json.loads(answer), "Checking")
    assert job["status"] == "Ready", job
    t2 = time.monotonic()
    items = job["dry_run"]["created"] + job["dry_run"]["updated"] + job["dry_run"]["unchanged"] + job["dry_run"]["rejected"]
    job = http.call("confirm_import", {"guild": guild, "id": job["id"], "typed": str(items)})
    job = wait(http, guild, job, "Running")
    t3 = time.monotonic()
    assert job["status"] == "Done", job
    return items, t1 - t0, t2 - t1, t3 - t2, job["outcome"]


def status_mib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


class AnonPeak:
    """The server's largest anonymous (heap) memory, sampled every 50 ms.
    VmHWM also counts SQLite's memory-mapped database file and page cache
    (up to 1 GiB mapped and 64 MiB cached per connection by design), which
    grow with the database, not with the file being imported."""

    def __init__(self, pid):
        self.pid, self.peak, self.stop = pid, 0.0, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop.wait(0.05):
            self.peak = max(self.peak, status_mib(self.pid, "RssAnon"))

    def take(self):
        value, self.peak = self.peak, 0.0
        return value


def items_without_ids(path):
    with open(path) as f:
        doc = json.load(f)
    out = []
    for item in doc["items"]:
        item.pop("id", None)
        out.append(json.dumps(item, sort_keys=True))
    return sorted(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    ap.add_argument("--server", default="target/release/server")
    ap.add_argument("--posts", type=int, default=100_000)
    ap.add_argument("--cache", default=os.path.expanduser("~/.cache/guildtrack-bench"))
    args = ap.parse_args()
    os.makedirs(args.cache, exist_ok=True)
    db = load.Database(args.db, args.cache)
    if args.db == "sqlite":
        db.path = os.path.join(args.cache, "import.db")
        db.url = f"sqlite://{db.path}"
    db.ensure_exists()
    work = tempfile.mkdtemp(prefix="guildtrack-import-")
    server = load.Server(args.server, db, 3198, os.path.join(work, "exports"))
    server.cli("purge")  # any command migrates a new database first
    target = prepare(server, db, args.posts)
    files = {}
    with open(os.path.join(work, "server.log"), "w") as log:
        server.start(log)
        try:
            http = load.Http(server.base)
            assert http.sign_in(USER)[0] == 303
            for entity in ("Accounts", "Posts"):
                path = os.path.join(work, f"{entity.lower()}.json")
                n = export(http, SOURCE, entity, path)
                files[entity] = (path, n)
                load.say(f"exported {n:,} {entity.lower()} ({os.path.getsize(path) / 2**20:.1f} MiB)")
        finally:
            server.stop()
        # A fresh server: its peak memory is the imports' alone.
        server.start(log)
        rows = []
        try:
            http = load.Http(server.base)
            assert http.sign_in(USER)[0] == 303
            base_rss = status_mib(server.proc.pid, "RssAnon")
            anon = AnonPeak(server.proc.pid)
            for entity, (path, n) in files.items():
                anon.take()
                items, up, check, run, outcome = import_file(http, target, path)
                assert items == n and outcome["created"] == n and outcome["rejected"] == 0, outcome
                heap = anon.take()
                rss = status_mib(server.proc.pid, "VmHWM")
                rows.append((entity, n, os.path.getsize(path), up, check, run, heap, rss))
                load.say(
                    f"imported {n:,} {entity.lower()}: check {check:.1f} s, run {run:.1f} s, "
                    f"peak heap {heap:.0f} MiB, VmHWM {rss:.0f} MiB"
                )
            anon.stop.set()
            # The round trip: the new guild exports the same items.
            for entity, (path, _) in files.items():
                again = os.path.join(work, f"{entity.lower()}-again.json")
                export(http, target, entity, again)
                same = items_without_ids(again) == items_without_ids(path)
                load.say(f"{entity} exported again from the new guild: {'the same' if same else 'DIFFERENT'}")
                assert same
        finally:
            server.stop()
    print()
    print(f"Import into an empty guild ({args.db}, {args.posts:,} posts in the source; server heap {base_rss:.0f} MiB before)")
    print("| file | items | size | upload | check (dry run) | import | items/s (import) | peak heap (RssAnon) | VmHWM |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for entity, n, size, up, check, run, heap, rss in rows:
        print(
            f"| {entity.lower()}.json | {n:,} | {size / 2**20:.1f} MiB | {up:.1f} s | {check:.1f} s | {run:.1f} s "
            f"| {n / run:,.0f} | {heap:.0f} MiB | {rss:.0f} MiB |"
        )


if __name__ == "__main__":
    main()
