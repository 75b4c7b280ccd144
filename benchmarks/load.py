#!/usr/bin/env python3
"""Load test of a real server process, on loopback, bounded in time.

Fifty signed-in sessions browse, search and page a 1,000,000-post guild for
60 s, each through its own `oha` process (one connection, its own session
cookie, a fixed request rate). Beside them the guild's editor starts a
1,000,000-row CSV export and a "select all" delete of about 100,000 posts.
Afterwards, on SQLite, members sign in while a delete of all 1,000,000 posts
runs, which is where a database-wide write lock would show.

Prints the list latencies (p50, p95, p99 over every request of every
session), the error and 5xx counts, how long the export and the bulk
delete took, and the sign-in times. Run it through `scripts/load`, which
installs oha, builds the release binary and starts nothing else.

Everything it changes it puts back: the bulk deletes are undone (restored
as one batch each), and the export's file lives in a temporary folder.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

GUILD = "load"
POSTS = 1_000_000
SESSIONS = 50
PASSWORD = "load-test-password"
EDITOR = "loadeditor"


def say(*args):
    print("==>", *args, flush=True)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Http:
    """Requests to the server under test, with one session cookie."""

    def __init__(self, base):
        self.base = base
        self.cookie = ""
        self.opener = urllib.request.build_opener(NoRedirect)

    def request(self, method, path, body=None, content_type=None, timeout=120):
        req = urllib.request.Request(self.base + path, data=body, method=method)
        if content_type:
            req.add_header("Content-Type", content_type)
        if self.cookie:
            req.add_header("Cookie", self.cookie)
        # Header names arrive in lower case (HTTP/2 style, from hyper):
        # they are looked up case-insensitively through the message object.
        try:
            with self.opener.open(req, timeout=timeout) as res:
                return res.status, res.headers, res.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def sign_in(self, username):
        """Signs in through the form; returns (status, seconds, location)."""
        form = urllib.parse.urlencode(
            {"username": username, "password": PASSWORD, "next": f"/g/{GUILD}/posts"}
        ).encode()
        started = time.monotonic()
        status, headers, _ = self.request(
            "POST", "/auth/login", form, "application/x-www-form-urlencoded"
        )
        took = time.monotonic() - started
        cookie = headers.get("Set-Cookie") or ""
        if status == 303 and cookie:
            self.cookie = cookie.split(";")[0]
        return status, took, headers.get("Location") or ""

    def call(self, endpoint, args):
        status, _, body = self.request(
            "POST", f"/api/{endpoint}", json.dumps(args).encode(), "application/json"
        )
        if status != 200:
            raise RuntimeError(f"{endpoint}: {status} {body[:300]!r}")
        return json.loads(body)


def run(cmd, env=None, check=True):
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if check and out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stderr}")
    return out


class Database:
    """The database under test, and a way to ask it one number."""

    def __init__(self, kind, cache_dir):
        self.kind = kind
        if kind == "sqlite":
            self.path = os.path.join(cache_dir, "load.db")
            self.url = f"sqlite://{self.path}"
        else:
            self.url = "postgres://postgres@127.0.0.1:5432/guildtrack_load"

    def ensure_exists(self):
        if self.kind == "postgres":
            exists = self.psql("postgres", "SELECT 1 FROM pg_database WHERE datname = 'guildtrack_load'")
            if exists != "1":
                self.psql("postgres", "CREATE DATABASE guildtrack_load")

    def psql(self, db, sql):
        return run(["psql", "-qAt", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-c", sql]).stdout.strip()

    def scalar(self, sql):
        if self.kind == "sqlite":
            import sqlite3

            with sqlite3.connect(self.path) as con:
                row = con.execute(sql).fetchone()
            return row[0] if row else None
        value = self.psql("guildtrack_load", sql)
        return int(value) if value.lstrip("-").isdigit() else (value or None)


class Server:
    def __init__(self, binary, db, port, export_dir):
        self.binary, self.db, self.port = binary, db, port
        self.env = dict(
            os.environ,
            DATABASE_URL=db.url,
            LEPTOS_SITE_ADDR=f"127.0.0.1:{port}",
            LEPTOS_SITE_ROOT="target/site",
            LEPTOS_OUTPUT_NAME="guildtrack",
            LEPTOS_ENV="PROD",
            LEPTOS_HASH_FILES="true",
            EXPORT_DIR=export_dir,
            RUST_LOG="warn",
        )
        self.env.pop("EXPORT_MAX_ROWS_PER_SECOND", None)
        self.base = f"http://127.0.0.1:{port}"

    def cli(self, *args, env=None):
        return run([self.binary, *args], env=dict(self.env, **(env or {})))

    def start(self, log):
        self.proc = subprocess.Popen([self.binary, "serve"], env=self.env, stdout=subprocess.DEVNULL, stderr=log)
        for _ in range(600):
            try:
                with urllib.request.urlopen(self.base + "/health", timeout=2) as res:
                    if res.status == 200:
                        return
            except OSError:
                pass
            if self.proc.poll() is not None:
                sys.exit("the server exited; see its log")
            time.sleep(0.1)
        sys.exit("the server did not start")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def prepare(server, db):
    """The guild, its fifty members and an editor, made once and kept."""
    guild = db.scalar(f"SELECT COUNT(*) FROM guilds WHERE slug = '{GUILD}'")
    if not guild:
        say(f"Seeding {POSTS:,} posts in guild “{GUILD}” (about a minute, once)")
        server.cli("seed", "--guild", GUILD, "--name", "Load test", "--accounts", "300", "--posts", str(POSTS))
    users = [f"load{i:02}" for i in range(1, SESSIONS + 1)] + [EDITOR]
    for name in users:
        if not db.scalar(f"SELECT COUNT(*) FROM users WHERE username = '{name}'"):
            server.cli("user", "add", name, env={"GUILDTRACK_PASSWORD": PASSWORD})
        # Editors: Deleted Items and the audit log are among the views.
        server.cli("member", "add", GUILD, name, "editor")
    trashed = db.scalar(
        f"SELECT COUNT(*) FROM posts p JOIN guilds g ON g.id = p.guild_id "
        f"WHERE g.slug = '{GUILD}' AND p.deleted_at IS NOT NULL"
    )
    if trashed:
        sys.exit(
            f"{trashed} posts of “{GUILD}” are in the trash (an earlier run was cut short): "
            "restore them under Deleted Items, or delete the load database to seed it again"
        )


def views(db):
    """What the sessions look at: every filter, several searches, sorts and
    deep pages, Deleted Items and the audit log."""
    gid = db.scalar(f"SELECT id FROM guilds WHERE slug = '{GUILD}'")
    brand = db.scalar(f"SELECT MIN(id) FROM brands WHERE guild_id = {gid}")
    group = db.scalar(f"SELECT MIN(id) FROM account_groups WHERE guild_id = {gid}")
    account = db.scalar(f"SELECT MIN(id) FROM accounts WHERE guild_id = {gid}")
    handle = db.scalar(f"SELECT handle FROM accounts WHERE id = {account}")
    posts = [
        {},
        {"platform": "tiktok"},
        {"platform": "youtube", "sort": "views"},
        {"brand": str(brand)},
        {"group": str(group)},
        {"account": str(account)},
        {"platform": "instagram", "brand": str(brand)},
        {"from": "2026-11-01"},
        {"min_views": "100000"},
        {"sort": "likes"},
        {"sort": "oldest"},
        {"page": "2"},
        {"page": "40", "per_page": "50", "brand": str(brand)},
        {"page": "2000"},
        {"q": "dance"},
        {"q": "halleng"},
        {"q": "live 🔥"},
        {"q": "qzxv"},
        {"q": "dance", "platform": "tiktok"},
        {"q": "@" + handle[:3]},
    ]
    calls = [("list_posts", p) for p in posts]
    calls += [
        ("list_accounts", {}),
        ("list_accounts", {"q": handle[:3]}),
        ("list_trash", {}),
        ("audit_log", {}),
    ]
    return [(endpoint, {"guild": GUILD, "params": params}) for endpoint, params in calls]


def start_oha(base, cookie, endpoint, body, seconds, rate, out):
    """One session: one connection at `rate` requests a second for
    `seconds`. Latency is counted from when each request was due
    (`--latency-correction`), so a slow answer that delays the next request
    shows in the figures instead of hiding (coordinated omission)."""
    cmd = [
        "oha", "--no-tui", "-z", f"{seconds}s", "-w", "-c", "1", "-q", str(rate), "--latency-correction",
        "-m", "POST", "-T", "application/json", "-H", f"Cookie: {cookie}", "-d", json.dumps(body),
        "--output-format", "json", "-o", out + ".json", "--db-url", out + ".db",
        f"{base}/api/{endpoint}",
    ]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(out + ".log", "w"))


def wait_run(http, run_id, limit=900):
    started = time.monotonic()
    while time.monotonic() - started < limit:
        run = http.call("bulk_progress", {"guild": GUILD, "id": run_id})
        if run["status"] not in ("Queued", "Running"):
            return run, time.monotonic() - started
        time.sleep(0.25)
    sys.exit(f"bulk run {run_id} did not end within {limit} s")


def bulk_delete(http, params):
    request = {"entity": "Posts", "selection": {"AllMatching": {"filter": params, "except": []}}, "action": "Delete"}
    preview = http.call("preview_bulk", {"guild": GUILD, "request": request})
    n = preview["count"]
    run = http.call(
        "start_bulk",
        {"guild": GUILD, "confirm": {"request": request, "confirmed_count": n, "typed": str(n),
                                     "as_of": preview["as_of"], "reason": "load test"}},
    )
    return n, run


def undo(http, run_id):
    restored = http.call("undo_bulk", {"guild": GUILD, "id": run_id})
    run, took = wait_run(http, restored["id"])
    return run, took


def percentile(sorted_values, p):
    """Nearest rank: the smallest value with at least p% of all at or below it."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, math.ceil(p / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    ap.add_argument("--server", default="target/release/server")
    ap.add_argument("--cache", default="target/load")
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--rate", type=float, default=1.0, help="requests per second per session")
    ap.add_argument("--port", type=int, default=3300)
    ap.add_argument("--skip-big-run", action="store_true", help="skip sign-ins during a 1,000,000-item run")
    ap.add_argument("--quiet", action="store_true", help="no export and no bulk delete beside the sessions")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args()

    os.makedirs(args.cache, exist_ok=True)
    db = Database(args.db, args.cache)
    db.ensure_exists()
    work = tempfile.mkdtemp(prefix="guildtrack-load-")
    server = Server(args.server, db, args.port, os.path.join(work, "exports"))
    server.cli("purge")  # applies the migrations; purges nothing recent
    prepare(server, db)
    log_path = os.path.join(work, "server.log")
    server.start(open(log_path, "w"))
    results = {"db": args.db, "sessions": SESSIONS, "seconds": args.seconds, "rate_per_session": args.rate,
               # Every run adds its deletes' and restores' item entries, and
               # the Audit log page counts a summary's items as it lists it.
               "audit_entries_before": db.scalar("SELECT COUNT(*) FROM audit_log")}
    try:
        sessions = []
        for i in range(1, SESSIONS + 1):
            h = Http(server.base)
            status, _, _ = h.sign_in(f"load{i:02}")
            assert status == 303 and h.cookie, f"sign-in of load{i:02}: {status}"
            sessions.append(h)
        editor = Http(server.base)
        assert editor.sign_in(EDITOR)[0] == 303
        plan = views(db)

        say(f"{SESSIONS} sessions for {args.seconds} s at {args.rate}/s each, beside an export of "
            f"{POSTS:,} rows and a delete of about 100,000 posts ({args.db})")
        outs = []
        procs = []
        # Sessions start spread over one request interval, as people's
        # clicks are: started together, all fifty would fire in the same
        # millisecond every interval, a burst no real audience makes.
        spread = 1 / (args.rate * SESSIONS)
        for i, h in enumerate(sessions):
            endpoint, body = plan[i % len(plan)]
            out = os.path.join(work, f"oha-{i:02}.json")
            outs.append((endpoint, body, out))
            procs.append(start_oha(server.base, h.cookie, endpoint, body, args.seconds, args.rate, out))
            time.sleep(spread)
        t0 = time.monotonic()
        run = None
        if not args.quiet:
            time.sleep(5)
            started = editor.call("start_export", {"guild": GUILD, "request": {
                "entity": "Posts", "format": "Csv", "scope": "All", "filename": "load-test"}})
            export_id = started["Queued"]["id"]
            export_started = time.monotonic()
            time.sleep(5)
            n, run = bulk_delete(editor, {"from": "2026-10-27"})
            bulk_run, bulk_took = wait_run(editor, run["id"])
            results["bulk"] = {"items": n, "seconds": round(bulk_took, 2), "status": bulk_run["status"],
                               "succeeded": bulk_run["succeeded"], "failed": bulk_run["failed"]}
            say(f"bulk delete of {n:,}: {bulk_run['status']} in {bulk_took:.1f} s")
        for p in procs:
            p.wait()
        load_ended = time.monotonic() - t0
        if not args.quiet:
            while True:
                job = editor.call("watch_exports", {"guild": GUILD, "ids": [export_id]})[0]
                if job["status"] not in ("Queued", "Running"):
                    break
                time.sleep(0.5)
            results["export"] = {"rows": job["processed"], "status": job["status"],
                                 "seconds": round(time.monotonic() - export_started, 1)}
            say(f"export of {job['processed']:,} rows: {job['status']} "
                f"{time.monotonic() - export_started:.1f} s after it started")

        import sqlite3

        latencies, statuses, errors, per_view = [], {}, {}, []
        for endpoint, body, out in outs:
            with open(out + ".json") as f:
                report = json.load(f)
            for err, count in report.get("errorDistribution", {}).items():
                errors[err] = errors.get(err, 0) + count
            with sqlite3.connect(out + ".db") as con:
                rows = con.execute("SELECT duration, status FROM oha").fetchall()
            mine = sorted(d * 1000 for d, _ in rows)
            for _, status in rows:
                statuses[str(status)] = statuses.get(str(status), 0) + 1
            latencies += mine
            per_view.append({"endpoint": endpoint, "params": body["params"], "requests": len(mine),
                             "p50_ms": round(percentile(mine, 50), 1), "p95_ms": round(percentile(mine, 95), 1)})
        latencies.sort()
        results.update(
            requests=len(latencies),
            statuses=statuses,
            errors=errors,
            server_errors=sum(n for code, n in statuses.items() if code.startswith("5")),
            p50_ms=round(percentile(latencies, 50), 1),
            p95_ms=round(percentile(latencies, 95), 1),
            p99_ms=round(percentile(latencies, 99), 1),
            max_ms=round(latencies[-1], 1) if latencies else None,
            load_seconds=round(load_ended, 1),
            per_view=per_view,
        )
        say(f"{len(latencies):,} list requests: p50 {results['p50_ms']} ms, p95 {results['p95_ms']} ms, "
            f"p99 {results['p99_ms']} ms; statuses {statuses}; errors {errors or 'none'}")

        if run:
            restore_run, restore_took = undo(editor, run["id"])
            say(f"undo of the delete: {restore_run['status']} in {restore_took:.1f} s")
        for v in per_view:
            print(f"    {v['endpoint']:14} {json.dumps(v['params'], ensure_ascii=False):50} "
                  f"{v['requests']:5} req  p50 {v['p50_ms']:8.1f}  p95 {v['p95_ms']:8.1f} ms")

        if args.db == "sqlite" and not args.skip_big_run:
            results["big_run"] = sign_ins_during_a_big_run(editor, sessions[0])
    finally:
        server.stop()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2, ensure_ascii=False)


def sign_ins_during_a_big_run(editor, member):
    """Deletes every post of the guild (select all), signs in ten times while
    it runs, then undoes it."""
    started = time.monotonic()
    n, run = bulk_delete(editor, {})
    say(f"delete of all {n:,} posts started; signing in meanwhile")
    attempts = []
    while True:
        progress = editor.call("bulk_progress", {"guild": GUILD, "id": run["id"]})
        if progress["status"] not in ("Queued", "Running"):
            break
        if len(attempts) < 10:
            status, took, location = Http(member.base).sign_in("load01")
            attempts.append({"status": status, "seconds": round(took, 3), "location": location,
                             "run_processed": progress["processed"]})
        time.sleep(0.5)
    done, _ = wait_run(editor, run["id"])
    took = time.monotonic() - started
    say(f"delete of {n:,}: {done['status']} in {took:.1f} s; {len(attempts)} sign-ins during it")
    restored, restore_took = undo(editor, run["id"])
    say(f"undo: {restored['status']} in {restore_took:.1f} s")
    return {"items": n, "status": done["status"], "seconds": round(took, 1), "sign_ins": attempts,
            "restore_seconds": round(restore_took, 1)}


if __name__ == "__main__":
    main()
