"""What interrupting a BACKUP job costs (bench/run.sh suite resume).

Against a `cofre start` server on a data directory that holds the bench database, one encrypted
detached full backup three ways, each into a new collection:
  uninterrupted  submit, then SHOW JOB WHEN COMPLETE
  pause_resume   PAUSE JOB halfway through (half the uninterrupted time), RESUME JOB once
                 paused; time = running time of both runs (the paused interval excluded)
  crash_resume   kill -9 of the server halfway through, restart; time = the first run, the
                 restart, and the resumed run up to its completion
The extra time over the uninterrupted backup is what the interruption cost: the resumed run's
new snapshot, the diff of every finished span against it, the rest of the export (and, for a
crash, the server's restart and the files written after the last checkpoint).
Prints one JSON object per line (the run's figures).
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, cofre, data, log):
        self.port = free_port()
        self.log = open(log, "a")
        self.proc = subprocess.Popen(
            [cofre, "start", "--data", data, "--insecure", "--listen-addr",
             f"127.0.0.1:{self.port}", "--http-addr", f"127.0.0.1:{free_port()}"],
            stdout=self.log, stderr=self.log)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                sys.exit("cofre start exited (see " + log + ")")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        sys.exit("cofre start did not listen in time")

    def sql(self, stmt):
        url = f"postgresql://root@127.0.0.1:{self.port}/defaultdb?sslmode=disable"
        p = subprocess.run(["psql", url, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", stmt],
                           capture_output=True, text=True, timeout=7200)
        if p.returncode != 0:
            sys.exit(f"psql failed: {stmt[:60]}...: {p.stderr}")
        return p.stdout.strip()

    def status(self, jid):
        return self.sql(f"SHOW JOB {jid}").split("|")[4]

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=120)
        self.log.close()


def backup(server, coll, passphrase):
    return server.sql(f"BACKUP DATABASE bench INTO 'nodelocal://1/{coll}' WITH "
                      f"encryption_passphrase = '{passphrase}', detached")


def wait_complete(server, jid):
    row = server.sql(f"SHOW JOB WHEN COMPLETE {jid}").split("|")
    if row[4] != "succeeded":
        sys.exit(f"job {jid} ended {row[4]}: {row[11]}")
    return int(row[13])  # num_runs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cofre", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--run", type=int, default=1)
    ap.add_argument("--passphrase", default="bench-passphrase")
    ap.add_argument("--fraction", type=float, default=0.5)
    a = ap.parse_args()
    out = {"run": a.run, "fraction": a.fraction}
    server = Server(a.cofre, a.data, a.log)

    t0 = time.monotonic()
    jid = backup(server, f"resume_plain_{a.run}", a.passphrase)
    wait_complete(server, jid)
    base = time.monotonic() - t0
    out["uninterrupted_s"] = round(base, 3)

    # Pause halfway, resume once paused. A job that finished before the pause landed (a busy
    # machine makes runs uneven) is tried again, paused earlier.
    fraction = a.fraction
    for attempt in range(5):
        t0 = time.monotonic()
        jid = backup(server, f"resume_pause_{a.run}_{attempt}", a.passphrase)
        time.sleep(base * fraction)
        server.sql(f"PAUSE JOB {jid}")
        while (status := server.status(jid)) not in ("paused", "succeeded"):
            time.sleep(0.01)
        if status == "paused":
            break
        fraction /= 2
    if status == "paused":  # else the backup is too short to be paused (a tiny dataset)
        first = time.monotonic() - t0
        t1 = time.monotonic()
        server.sql(f"RESUME JOB {jid}")
        out["pause_runs"] = wait_complete(server, jid)
        out["pause_resume_s"] = round(first + time.monotonic() - t1, 3)
        out["pause_fraction"] = fraction
        out["pause_extra_s"] = round(out["pause_resume_s"] - base, 3)

    # kill -9 halfway, restart, resume (earlier again when the job had finished).
    fraction = a.fraction
    for attempt in range(5):
        t0 = time.monotonic()
        jid = backup(server, f"resume_crash_{a.run}_{attempt}", a.passphrase)
        time.sleep(base * fraction)
        server.stop(signal.SIGKILL)
        first = time.monotonic() - t0
        t1 = time.monotonic()
        server = Server(a.cofre, a.data, a.log)
        out["restart_s"] = round(time.monotonic() - t1, 3)
        out["crash_runs"] = wait_complete(server, jid)
        out["crash_resume_s"] = round(first + time.monotonic() - t1, 3)
        if out["crash_runs"] >= 2:
            break
        fraction /= 2
    if out["crash_runs"] >= 2:
        out["crash_fraction"] = fraction
        out["crash_extra_s"] = round(out["crash_resume_s"] - base, 3)
    else:  # the backup was too short to be interrupted
        del out["crash_resume_s"]
    server.stop()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
