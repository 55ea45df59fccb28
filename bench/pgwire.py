#!/usr/bin/env python3
"""The wire-server benchmark (`make bench`, suite pgwire): cofre's server against PostgreSQL 15
from Debian on the same machine, with the same client (pgbench, custom scripts, -M prepared)
and the same security (TLS, SCRAM-SHA-256 passwords).

Measures, for each server: connection + authentication time (median of 100 psql-free libpq
connects through psycopg2), point-select and point-update throughput at 1, 8 and 32 clients,
and (cofre) the server's RSS with 100 idle connections. Writes a JSON file.
Runs under Debian's /usr/bin/python3 (psycopg2).
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import psycopg2

PG_BIN = "/usr/lib/postgresql/15/bin"
ROWS = 100000
PASSWORD = "bench-password-1"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, proc, what):
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{what} exited")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"{what} did not start")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def pgbench(url, script, clients, seconds, work):
    path = os.path.join(work, "script.sql")
    with open(path, "w") as f:
        f.write(script)
    p = subprocess.run(["pgbench", "-n", "-M", "prepared", "-c", str(clients),
                        "-j", str(min(clients, 4)), "-T", str(seconds), "--max-tries", "1000",
                        "-f", path, url], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"pgbench failed: {p.stdout}\n{p.stderr}")
    tps = float(re.search(r"tps = ([\d.]+)", p.stdout).group(1))
    failed = re.search(r"number of failed transactions: (\d+)", p.stdout)
    return tps, int(failed.group(1)) if failed else 0


def connect_times(url, n=100):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        c = psycopg2.connect(url)
        c.cursor().execute("SELECT 1")
        times.append(time.perf_counter() - t)
        c.close()
    return statistics.median(times) * 1000


def run_suite(name, url, work, seconds, pid):
    c = psycopg2.connect(url)
    c.autocommit = True
    cur = c.cursor()
    cur.execute("DROP TABLE IF EXISTS acc")
    cur.execute("CREATE TABLE acc (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL, note TEXT)")
    cur.execute("INSERT INTO acc SELECT i, 1000, 'account ' || i FROM "
                f"(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ROWS}) "
                "SELECT i FROM n) s")
    c.close()
    out = {"server": name, "connect_ms": round(connect_times(url), 2)}
    select = f"\\set a random(1, {ROWS})\nSELECT bal, note FROM acc WHERE id = :a;\n"
    update = f"\\set a random(1, {ROWS})\nUPDATE acc SET bal = bal + 1 WHERE id = :a;\n"
    for clients in (1, 8, 32):
        out[f"select_tps_{clients}"], _ = pgbench(url, select, clients, seconds, work)
        out[f"update_tps_{clients}"], out[f"update_failed_{clients}"] = pgbench(
            url, update, clients, seconds, work)
        print(f"  {name}: {clients} clients: select {out[f'select_tps_{clients}']:.0f} tps, "
              f"update {out[f'update_tps_{clients}']:.0f} tps", file=sys.stderr)
    if pid:
        conns = [psycopg2.connect(url) for _ in range(100)]
        time.sleep(0.5)
        out["rss_100_idle_kib"] = rss_kib(pid)
        for conn in conns:
            conn.close()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cofre", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seconds", type=int, default=10)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="cofre-pgwire-bench-")
    os.chmod(work, 0o755)
    results = {"rows": ROWS, "seconds": args.seconds, "servers": []}
    certs = os.path.join(work, "certs")
    ca_key = os.path.join(work, "ca.key")
    for a in (["create-ca"], ["create-node", "localhost", "127.0.0.1"]):
        subprocess.run([args.cofre, "cert", *a, "--certs-dir", certs, "--ca-key", ca_key], check=True)
    # cofre
    port, data = free_port(), os.path.join(work, "cofre-data")
    proc = subprocess.Popen([args.cofre, "start", "--data", data, "--certs-dir", certs,
                             "--listen-addr", f"127.0.0.1:{port}", "--http-addr", ""],
                            stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc, "cofre")
        # root logs in with a client certificate; the benchmark user with a password.
        subprocess.run([args.cofre, "cert", "create-client", "root", "--certs-dir", certs,
                        "--ca-key", ca_key], check=True)
        root = (f"postgresql://root@127.0.0.1:{port}/defaultdb?sslmode=require"
                f"&sslcert={certs}/client.root.crt&sslkey={certs}/client.root.key")
        c = psycopg2.connect(root)
        c.autocommit = True
        c.cursor().execute(f"CREATE USER bench WITH PASSWORD '{PASSWORD}'")
        c.cursor().execute("GRANT ALL ON DATABASE defaultdb TO bench")
        c.close()
        url = f"postgresql://bench:{PASSWORD}@127.0.0.1:{port}/defaultdb?sslmode=require"
        results["servers"].append(run_suite("cofre", url, work, args.seconds, proc.pid))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait()
    # PostgreSQL 15, TLS with the same node certificate, scram-sha-256.
    pgdata = os.path.join(work, "pgdata")
    os.makedirs(pgdata)
    shutil.chown(pgdata, "postgres")
    shutil.chown(work, "postgres")
    pwfile = os.path.join(work, "pw")
    with open(pwfile, "w") as f:
        f.write(PASSWORD)
    shutil.chown(pwfile, "postgres")
    subprocess.run(["runuser", "-u", "postgres", "--", f"{PG_BIN}/initdb", "-D", pgdata,
                    "-U", "bench", "--pwfile", pwfile, "--auth", "scram-sha-256"],
                   check=True, capture_output=True)
    for f in ("node.crt", "node.key"):
        shutil.copy(os.path.join(certs, f), os.path.join(pgdata, f))
        shutil.chown(os.path.join(pgdata, f), "postgres")
        os.chmod(os.path.join(pgdata, f), 0o600)
    pgport = free_port()
    with open(os.path.join(pgdata, "postgresql.conf"), "a") as f:
        f.write(f"port = {pgport}\nlisten_addresses = '127.0.0.1'\nssl = on\n"
                "ssl_cert_file = 'node.crt'\nssl_key_file = 'node.key'\nmax_connections = 200\n"
                f"unix_socket_directories = '{work}'\n")
    pg = subprocess.Popen(["runuser", "-u", "postgres", "--", f"{PG_BIN}/postgres", "-D", pgdata],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(pgport, pg, "postgres")
        time.sleep(0.5)
        url = f"postgresql://bench:{PASSWORD}@127.0.0.1:{pgport}/postgres?sslmode=require"
        results["servers"].append(run_suite("postgresql-15", url, work, args.seconds, None))
    finally:
        subprocess.run(["runuser", "-u", "postgres", "--", f"{PG_BIN}/pg_ctl", "-D", pgdata,
                        "-m", "fast", "-w", "stop"], capture_output=True)
        pg.wait()
    shutil.rmtree(work, ignore_errors=True)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
