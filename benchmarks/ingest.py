#!/usr/bin/env python3
"""Ingest API throughput, over HTTP on loopback, bounded in count.

Into a guild that already has 1,000,000 posts (seeded once, kept in the
cache folder), the tracker's batches of 1,000 posts go to `PUT
/api/v1/guilds/{guild}/posts` from two client threads:
  1. created: new posts;
  2. updated: the same posts with new view and like counts;
  3. unchanged: the same batches again;
  4. mixed: half new, half updated.
Each phase prints posts per second (wall time over all its batches). Beside
phases 1 and 2, one more thread pages the Posts list through the API, and
its p95 is compared with the same loop on a quiet server.

    python3 benchmarks/ingest.py --db sqlite [--server target/release/server]
    python3 benchmarks/ingest.py --db postgres

It needs the release build (`scripts/run` or `build_site release`) and
starts its own server on port 3199. The posts it adds stay in the bench
guild, which is made for this and nothing else, so a second run adds more.
"""

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(__file__))
import load  # noqa: E402  (Http, Database, Server: the load test's helpers)

GUILD = "bench-ingest"
POSTS = 1_000_000
USER = "ingestadmin"
BATCH = 1000
CLIENTS = 2


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def prepare(server, db):
    if not db.scalar(f"SELECT COUNT(*) FROM guilds WHERE slug = '{GUILD}'"):
        load.say(f"Seeding {POSTS:,} posts in “{GUILD}” (a minute or more, once)")
        server.cli("seed", "--guild", GUILD, "--name", "Ingest bench", "--accounts", "1000", "--posts", str(POSTS))
    if not db.scalar(f"SELECT COUNT(*) FROM users WHERE username = '{USER}'"):
        server.cli("user", "add", USER, env={"GUILDTRACK_PASSWORD": load.PASSWORD})
    server.cli("member", "add", GUILD, USER, "admin")


def token(base):
    http = load.Http(base)
    status, _, _ = http.sign_in(USER)
    if status != 303:
        sys.exit(f"sign-in failed: {status}")
    made = http.call(
        "create_api_token",
        {"guild": GUILD, "request": {"name": "ingest bench", "scope": "ingest", "days": 1}},
    )
    return made["token"]


class Api:
    def __init__(self, base, token):
        self.http = load.Http(base)
        self.auth = f"Bearer {token}"

    def send(self, method, path, body=None):
        import urllib.request

        req = urllib.request.Request(self.http.base + path, data=body, method=method)
        req.add_header("Authorization", self.auth)
        if body is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=120) as res:
                return res.status, res.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()


def batch(run_id, start, views):
    now = datetime.now(timezone.utc)
    posts = []
    for n in range(start, start + BATCH):
        posts.append(
            {
                "platform": "tiktok",
                "external_id": f"{run_id}-{n}",
                "account": f"bench.tracker_{n % 100:02}",
                "url": f"https://www.tiktok.com/@bench.tracker_{n % 100:02}/video/{run_id}{n}",
                "caption": f"Tracked post {n} of run {run_id} 🎬 #bench",
                "posted_at": (now - timedelta(minutes=n % 50_000)).isoformat().replace("+00:00", "Z"),
                "views": views + n,
                "likes": (views + n) // 10,
                "comments": 3,
                "shares": 1,
            }
        )
    return json.dumps({"posts": posts}).encode()


def phase(api, name, bodies, lister=None):
    """Sends `bodies` from CLIENTS threads; returns (posts/s, counts)."""
    totals = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    lock = threading.Lock()
    queue = list(bodies)
    errors = []

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                body = queue.pop(0)
            status, out = api.send("PUT", f"/api/v1/guilds/{GUILD}/posts", body)
            if status != 200:
                errors.append((status, out[:300]))
                return
            report = json.loads(out)
            with lock:
                for k in totals:
                    totals[k] += report[k]

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - started
    if errors:
        sys.exit(f"{name}: {errors[0]}")
    sent = len(bodies) * BATCH
    return sent / took, took, totals


def list_loop(api, stop, out):
    while not stop.is_set():
        started = time.monotonic()
        status, _ = api.send("GET", f"/api/v1/guilds/{GUILD}/posts?per_page=25")
        if status != 200:
            out.append(float("inf"))
        else:
            out.append((time.monotonic() - started) * 1000)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    ap.add_argument("--server", default="target/release/server")
    ap.add_argument("--batches", type=int, default=40, help="batches per phase")
    ap.add_argument("--cache", default=os.path.expanduser("~/.cache/guildtrack-bench"))
    args = ap.parse_args()
    os.makedirs(args.cache, exist_ok=True)
    db = load.Database(args.db, args.cache)
    if args.db == "sqlite":
        db.path = os.path.join(args.cache, "ingest.db")
        db.url = f"sqlite://{db.path}"
    db.ensure_exists()
    work = tempfile.mkdtemp(prefix="guildtrack-ingest-")
    server = load.Server(args.server, db, 3199, os.path.join(work, "exports"))
    # Generous, so the bench measures the server rather than the limiter.
    server.env["API_RATE_LIMIT"] = "1000"
    server.cli("purge")
    prepare(server, db)
    if args.db == "postgres":
        # An earlier run's rows, vacuumed: the quiet baseline is the list
        # as an idle server has it.
        db.psql("guildtrack_load", "VACUUM ANALYZE posts, post_captions")
    with open(os.path.join(work, "server.log"), "w") as log:
        server.start(log)
        try:
            api = Api(server.base, token(server.base))
            accounts = [
                {"platform": "tiktok", "handle": f"bench.tracker_{i:02}", "followers": 1000 + i}
                for i in range(100)
            ]
            status, out = api.send(
                "PUT", f"/api/v1/guilds/{GUILD}/accounts", json.dumps({"accounts": accounts}).encode()
            )
            assert status == 200, out
            # The list alone for 10 s: the quiet baseline.
            quiet = []
            stop = threading.Event()
            timer = threading.Timer(10, stop.set)
            timer.start()
            list_loop(api, stop, quiet)
            run_id = f"r{int(time.time())}"
            first = [batch(run_id, i * BATCH, 100) for i in range(args.batches)]
            updated = [batch(run_id, i * BATCH, 5000) for i in range(args.batches)]
            mixed = [batch(run_id, (i + args.batches // 2) * BATCH, 9000) for i in range(args.batches)]
            rows = []
            for name, bodies, with_list in [
                ("created", first, True),
                ("updated", updated, True),
                ("unchanged", updated, False),
                ("mixed (half new)", mixed, False),
            ]:
                lat = []
                stop = threading.Event()
                lister = threading.Thread(target=list_loop, args=(api, stop, lat)) if with_list else None
                if lister:
                    lister.start()
                rate, took, totals = phase(api, name, bodies)
                stop.set()
                if lister:
                    lister.join()
                rows.append((name, rate, took, totals, lat))
                load.say(f"{name}: {rate:,.0f} posts/s ({took:.1f} s) {totals}")
            total = db.scalar(
                f"SELECT COUNT(*) FROM posts p JOIN guilds g ON g.id = p.guild_id WHERE g.slug = '{GUILD}'"
            )
        finally:
            server.stop()
    print()
    print(f"Ingest over HTTP, {args.db}, batches of {BATCH}, {CLIENTS} clients, guild of {total:,} posts after the run")
    print(f"quiet list p95: {percentile(quiet, 95):.1f} ms ({len(quiet)} requests)")
    print("| phase | posts/s | seconds | created | updated | unchanged | list p95 during (ms) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, rate, took, totals, lat in rows:
        p95 = f"{percentile(lat, 95):.1f} ({len(lat)} req)" if lat else "—"
        print(
            f"| {name} | {rate:,.0f} | {took:.1f} | {totals['created']:,} | {totals['updated']:,} "
            f"| {totals['unchanged']:,} | {p95} |"
        )


if __name__ == "__main__":
    main()
