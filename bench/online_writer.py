#!/usr/bin/env python3
"""The application side of the benchmark's online suite (bench/run.sh suite_online).

  online_writer.py run DB STOP_FILE TRACE
      Writes to DB back to back (no gap between transactions) until STOP_FILE exists, as an
      application would: each transaction inserts a 200-byte row and updates a random earlier
      one. The connection keeps the file's journal mode and SQLite's default settings, with a
      60 s busy timeout. Writes TRACE: one line per commit (end time, latency in seconds), and
      the WAL file's size sampled every 20 ms ("wal" lines).
  online_writer.py summarize TRACE FROM TO MODE PHASE
      Prints one JSON line for the commits that ended in [FROM, TO] (epoch seconds): commits per
      second, max and 99th percentile latency in ms, and the WAL's largest size in that window.
"""
import json
import os
import random
import sqlite3
import sys
import threading
import time


def run(db, stop_file, trace_path):
    con = sqlite3.connect(db, timeout=60, isolation_level=None)
    con.execute("CREATE TABLE IF NOT EXISTS online_writes "
                "(id INTEGER PRIMARY KEY, n INT, payload BLOB)")
    rng = random.Random(7)
    out = open(trace_path, "w")
    lock = threading.Lock()  # the two threads share `out` (text files are not thread-safe)
    done = threading.Event()

    def emit(line):
        with lock:
            out.write(line)

    def watch_wal():
        while not done.is_set():
            try:
                size = os.path.getsize(db + "-wal")
            except OSError:
                size = 0
            emit(f"wal {time.time():.6f} {size}\n")
            time.sleep(0.02)

    watcher = threading.Thread(target=watch_wal)
    watcher.start()
    top = con.execute("SELECT coalesce(max(id), 0) FROM online_writes").fetchone()[0]
    while not os.path.exists(stop_file):
        start = time.monotonic()
        con.execute("BEGIN IMMEDIATE")
        con.execute("INSERT INTO online_writes(n, payload) VALUES (?, randomblob(200))",
                    (top,))
        top += 1
        con.execute("UPDATE online_writes SET n = n + 1 WHERE id = ?", (rng.randrange(1, top + 1),))
        con.execute("COMMIT")
        emit(f"tx {time.time():.6f} {time.monotonic() - start:.6f}\n")
    done.set()
    watcher.join()
    out.close()
    con.close()


def summarize(trace_path, t_from, t_to, mode, phase):
    lat, wal = [], [0]
    with open(trace_path) as f:
        for line in f:
            kind, t, v = line.split()
            t = float(t)
            if t < t_from or t > t_to:
                continue
            (lat if kind == "tx" else wal).append(float(v))
    lat.sort()
    span = max(t_to - t_from, 1e-9)
    print(json.dumps({
        "mode": mode, "phase": phase, "seconds": round(span, 3), "commits": len(lat),
        "commits_per_s": round(len(lat) / span, 1),
        "max_latency_ms": round(1000 * lat[-1], 1) if lat else None,
        "p99_latency_ms": round(1000 * lat[int(0.99 * (len(lat) - 1))], 1) if lat else None,
        "max_wal_bytes": int(max(wal)),
    }))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "run":
        run(*sys.argv[2:5])
    elif len(sys.argv) == 7 and sys.argv[1] == "summarize":
        summarize(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6])
    else:
        sys.exit(__doc__)
