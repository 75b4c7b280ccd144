"""Python baseline for the export benchmark (see BENCHMARKS.md).

Reads the same SQLite file and query as Guildtrack's posts export and
writes the same three files: CSV (UTF-8 BOM, CRLF, formula guard, ISO 8601
UTC), JSON (metadata + items) and XLSX (XlsxWriter, constant_memory, bold
frozen header, date cells). Prints one JSON line per format.

    python export_baseline.py DB_FILE GUILD_SLUG OUT_DIR [csv json xlsx]
"""

import csv
import json
import sqlite3
import sys
import time
from datetime import datetime, timezone

QUERY = """
SELECT p.id, a.handle, p.platform, p.url, p.caption, p.posted_at,
       p.views, p.likes, p.comments, p.shares, g.name, b.name, p.created_at
FROM posts p
JOIN accounts a ON a.id = p.account_id
LEFT JOIN account_groups g ON g.id = p.group_id
LEFT JOIN brands b ON b.id = p.brand_id
WHERE p.guild_id = (SELECT id FROM guilds WHERE slug = ?) AND p.deleted_at IS NULL
ORDER BY p.id
"""
HEADER = ["ID", "Account", "Platform", "Post URL", "Caption", "Posted at (UTC)", "Views",
          "Likes", "Comments", "Shares", "Group", "Brand", "Added at (UTC)"]
KEYS = ["id", "account_handle", "platform", "post_url", "caption", "posted_at", "views",
        "likes", "comments", "shares", "group", "brand", "created_at"]
TEXT = {1, 2, 3, 4, 10, 11}
TIME = {5, 12}
RISKY = ("=", "+", "-", "@", "\t", "\r", "\0")


def iso(secs):
    return datetime.fromtimestamp(secs, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def rows(db, guild):
    con = sqlite3.connect(db)
    try:
        yield from con.execute(QUERY, (guild,))
    finally:
        con.close()


def write_csv(db, guild, path):
    n = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)  # RFC 4180: CRLF, minimal quoting
        w.writerow(HEADER)
        for r in rows(db, guild):
            out = []
            for i, v in enumerate(r):
                if v is None:
                    out.append("")
                elif i in TIME:
                    out.append(iso(v))
                elif i in TEXT and v.startswith(RISKY):
                    out.append("'" + v)
                else:
                    out.append(v)
            w.writerow(out)
            n += 1
    return n


def write_json(db, guild, path):
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        f.write('{"format_version":1,"guild":{"slug":%s},"entity":"posts","scope":{"kind":"all"},'
                '"exported_at":%s,"items":[' % (json.dumps(guild), json.dumps(iso(time.time()))))
        for r in rows(db, guild):
            item = {k: (iso(v) if i in TIME else v) for i, (k, v) in enumerate(zip(KEYS, r))}
            f.write(("\n" if n == 0 else ",\n") + json.dumps(item, ensure_ascii=False,
                                                          separators=(",", ":")))
            n += 1
        f.write('\n],"item_count":%d}\n' % n)
    return n


def write_xlsx(db, guild, path):
    import xlsxwriter

    wb = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False})
    bold = wb.add_format({"bold": True})
    date = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    ws = wb.add_worksheet("Posts")
    ws.write_row(0, 0, HEADER, bold)
    ws.freeze_panes(1, 0)
    n = 0
    for r in rows(db, guild):
        n += 1
        for i, v in enumerate(r):
            if v is None:
                continue
            if i in TIME:
                ws.write_number(n, i, v / 86400.0 + 25569.0, date)
            elif i in TEXT:
                ws.write_string(n, i, v[:32767])
            else:
                ws.write_number(n, i, v)
    ws.autofilter(0, 0, n, len(HEADER) - 1)
    wb.close()
    return n


def main():
    db, guild, out = sys.argv[1:4]
    formats = sys.argv[4:] or ["csv", "json", "xlsx"]
    writers = {"csv": write_csv, "json": write_json, "xlsx": write_xlsx}
    for fmt in formats:
        path = f"{out}/baseline.{fmt}"
        start = time.perf_counter()
        n = writers[fmt](db, guild, path)
        secs = time.perf_counter() - start
        print(json.dumps({"tool": "python", "db": "sqlite", "format": fmt, "rows": n,
                          "seconds": secs, "rows_per_sec": n / secs}), flush=True)


if __name__ == "__main__":
    main()
