"""pgbench (PostgreSQL's own benchmark client) against `cofre start`: 50 clients doing point reads
and transfer transactions with prepared statements for 30 s while BACKUPs run. The only errors
allowed are 40001 serialization failures, which pgbench retries; every backup restores to a
consistent state (the transfers keep the total balance constant).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from server_testlib import CofreServer, psql  # noqa: E402

ACCOUNTS = 10000
INITIAL = 1000

SCRIPT = f"""\\set a random(1, {ACCOUNTS})
\\set b random(1, {ACCOUNTS})
\\set d random(1, 50)
SELECT bal FROM acc WHERE id = :a;
SELECT bal FROM acc WHERE id = :b;
BEGIN;
UPDATE acc SET bal = bal - :d WHERE id = :a;
UPDATE acc SET bal = bal + :d WHERE id = :b;
END;
"""


class PgbenchTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cofre-pgbench-")
        self.server = CofreServer(os.path.join(self.tmp, "data"), insecure=True,
                                  extra=("--max-connections", "200"))
        self.url = self.server.url(sslmode="disable")

    def tearDown(self):
        rc = self.server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.assertEqual(rc, 0)

    def test_fifty_clients_with_backups_running(self):
        psql(self.url, "CREATE TABLE acc (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL)",
             f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ACCOUNTS}) "
             f"INSERT INTO acc SELECT i, {INITIAL} FROM n")
        script = os.path.join(self.tmp, "transfer.sql")
        with open(script, "w") as f:
            f.write(SCRIPT)
        seconds = int(os.environ.get("COFRE_PGBENCH_SECONDS", "30"))
        backups = []
        stop = threading.Event()

        def backup_loop():
            n = 0
            while not stop.is_set():
                n += 1
                out = psql(self.url, "BACKUP INTO 'nodelocal://1/under-load'").stdout
                backups.append(out)
                time.sleep(2)

        t = threading.Thread(target=backup_loop)
        t.start()
        p = subprocess.run(["pgbench", "-n", "-M", "prepared", "-c", "50", "-j", "4",
                            "-T", str(seconds), "--max-tries", "1000", "-f", script, self.url],
                           capture_output=True, text=True, timeout=seconds + 300)
        stop.set()
        t.join()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # pgbench counts transactions that failed after all retries; there must be none.
        processed = int(re.search(r"number of transactions actually processed: (\d+)", p.stdout).group(1))
        failed = re.search(r"number of failed transactions: (\d+)", p.stdout)
        self.assertGreater(processed, 100, p.stdout)
        self.assertEqual(int(failed.group(1)) if failed else 0, 0, p.stdout)
        for line in p.stderr.splitlines():
            # Anything pgbench logs as an error other than a retried 40001 fails the test.
            if "ERROR" in line or "error" in line:
                self.assertIn("40001", line, p.stderr)
        self.assertGreaterEqual(len(backups), 2)
        total = psql(self.url, "SELECT count(*), sum(bal) FROM acc").stdout.strip()
        self.assertEqual(total, f"{ACCOUNTS}|{ACCOUNTS * INITIAL}")
        # Every backup taken under load restores to a consistent state.
        subdirs = [l.split("|")[0] for l in
                   psql(self.url, "SHOW BACKUPS IN 'nodelocal://1/under-load'").stdout.split()]
        self.assertEqual(len(subdirs), len(backups))
        for i, sub in enumerate(subdirs[:3]):
            psql(self.url, f"RESTORE DATABASE defaultdb FROM '{sub}' IN 'nodelocal://1/under-load' "
                           f"WITH new_db_name = 'r{i}'")
            out = psql(self.url, f"SELECT count(*), sum(bal) FROM r{i}.acc").stdout.strip()
            self.assertEqual(out, f"{ACCOUNTS}|{ACCOUNTS * INITIAL}", sub)
        print(f"pgbench: {processed} transactions in {seconds} s, {len(backups)} backups",
              file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
