#!/usr/bin/env python3
"""The importer a user would write: Python standard library only (zipfile, json, sqlite3),
heart-rate samples only, one row per sample. Used by bench/import as the baseline.

usage: baseline.py DB ARCHIVE.zip [ARCHIVE.zip ...]
prints one JSON line: {"samples": N, "seconds": S, "db_bytes": B}
"""
import json
import os
import re
import sqlite3
import sys
import time
import zipfile
from datetime import datetime, timezone

HR = re.compile(r"(^|/)heart_rate-\d{4}-\d{2}-\d{2}\.json$")


def main() -> None:
    db_path, archives = sys.argv[1], sys.argv[2:]
    if os.path.exists(db_path):
        os.remove(db_path)
    t0 = time.perf_counter()
    db = sqlite3.connect(db_path)
    db.execute("CREATE TABLE heart_rate (ts INTEGER PRIMARY KEY, bpm INTEGER, confidence INTEGER)")
    n = 0
    for path in archives:
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if not HR.search(name):
                    continue
                with z.open(name) as f:
                    records = json.load(f)
                rows = []
                for r in records:
                    dt = datetime.strptime(r["dateTime"], "%m/%d/%y %H:%M:%S").replace(tzinfo=timezone.utc)
                    rows.append((int(dt.timestamp() * 1000), r["value"]["bpm"], r["value"]["confidence"]))
                db.executemany("INSERT OR REPLACE INTO heart_rate VALUES (?, ?, ?)", rows)
                n += len(rows)
        db.commit()
    db.close()
    seconds = time.perf_counter() - t0
    print(json.dumps({"samples": n, "seconds": seconds, "db_bytes": os.path.getsize(db_path)}))


if __name__ == "__main__":
    main()
