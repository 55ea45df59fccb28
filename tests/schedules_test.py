"""Backup schedules in the server: CREATE SCHEDULE ... FOR BACKUP with cron times in seconds (cofre's
extension), a full-and-incremental cadence across SIGTERM and kill -9 of the server, times missed
while the server was down run once, the failure policies (retry, reschedule, pause) on an
unwritable collection, PAUSE/RESUME/DROP SCHEDULE, ALTER BACKUP SCHEDULE ... EXECUTE IMMEDIATELY,
privileges, secrets never stored or shown in plaintext, the schedules_BACKUP_* metrics parsed by
prometheus_client, and the chain a schedule wrote restoring exactly.

Runs against a real `cofre start` with psql.
"""
import os
import shutil
import signal
import tempfile
import threading
import time
import unittest

from server_testlib import CofreServer, prometheus_metrics, psql

PASS = "schedule-secret-7d1e5b"


class SchedulesTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cofre-schedules-")
        self.data = os.path.join(self.tmp, "data")
        self.logs = []
        self.outputs = []
        self.server = None
        self.start()
        self.sql("CREATE DATABASE shop",
                 "CREATE TABLE shop.orders(id INTEGER PRIMARY KEY, item TEXT, qty INTEGER)",
                 "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<500) "
                 "INSERT INTO shop.orders SELECT x, hex(randomblob(20)), x % 7 FROM c")

    def tearDown(self):
        if self.server:
            self.server.stop()
            self.logs.append(self.server_log())
        shutil.rmtree(self.tmp, ignore_errors=True)

    def server_log(self):
        with open(self.server.log_path) as f:
            return f.read()

    def start(self):
        if self.server:
            self.logs.append(self.server_log())
        self.server = CofreServer(self.data, insecure=True,
                                  extra=("--schedule-retry-delay", "2"))

    def restart(self, sig):
        self.server.stop(sig=sig)
        self.start()

    def url(self, user="root"):
        return f"postgresql://{user}@127.0.0.1:{self.server.port}/defaultdb?sslmode=disable"

    def sql(self, *stmts, user="root", check=True):
        p = psql(self.url(user), *stmts, check=check)
        self.outputs.append(p.stdout + p.stderr)
        return p

    def rows(self, stmt, user="root"):
        out = self.sql(stmt, user=user).stdout
        return [line.split("|") for line in out.splitlines() if line]

    def create(self, stmt):
        """CREATE SCHEDULE: {'full': id, 'inc': id} from its result rows."""
        ids = {}
        for r in self.rows(stmt):
            ids["inc" if "INTO LATEST IN" in r[5] else "full"] = r[0]
        return ids

    def schedule(self, sid):
        r = self.rows(f"SHOW SCHEDULE {sid}")[0]
        keys = ["id", "label", "schedule_status", "next_run", "state", "recurrence",
                "jobsrunning", "owner", "created", "command", "on_previous_running",
                "on_execution_failure"]
        return dict(zip(keys, r))

    def jobs(self, sid):
        """(job_id, status) of the schedule's jobs, oldest first."""
        return [(r[0], r[4]) for r in reversed(self.rows(f"SHOW JOBS FOR SCHEDULE {sid}"))]

    def succeeded(self, sid):
        return sum(1 for _, s in self.jobs(sid) if s == "succeeded")

    def wait_for(self, pred, what, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if pred():
                return
            time.sleep(0.2)
        self.fail(f"timed out waiting for {what}")

    def metrics(self):
        m = prometheus_metrics(self.server.http_port)
        # The parser names counter samples <name>_total; Prometheus stores CockroachDB's names.
        for name in ("started", "succeeded", "failed"):
            m[f"schedules_BACKUP_{name}{{}}"] = m.pop(f"schedules_BACKUP_{name}_total{{}}")
        return m

    def table(self, db):
        return self.sql(f"SELECT id, item, qty FROM {db}.orders ORDER BY id").stdout

    def assert_no_secret_anywhere(self):
        """The passphrase is in no file of the data directory, no log, no output."""
        secret = PASS.encode()
        for root, _, names in os.walk(self.data):
            for n in names:
                with open(os.path.join(root, n), "rb") as f:
                    self.assertNotIn(secret, f.read(), os.path.join(root, n))
        self.logs.append(self.server_log())
        for text in self.logs + self.outputs:
            self.assertNotIn(PASS, text)

    def test_cadence_across_restarts_restores_exactly(self):
        ids = self.create(
            "CREATE SCHEDULE cadence FOR BACKUP DATABASE shop INTO 'nodelocal://1/cadence' "
            f"WITH encryption_passphrase = '{PASS}' RECURRING '*/2 * * * * *' "
            "FULL BACKUP '*/6 * * * * *' WITH SCHEDULE OPTIONS first_run = 'now'")
        self.assertEqual(set(ids), {"full", "inc"})
        inc = self.schedule(ids["inc"])
        full = self.schedule(ids["full"])
        self.assertIn("encryption_passphrase = '*****'", full["command"])
        self.assertIn('"backup_type": 1', inc["command"])
        self.assertEqual(inc["on_previous_running"], "wait")

        stop = threading.Event()
        written = [500]

        def writer():
            while not stop.is_set():
                n = written[0] + 1
                p = psql(self.url(), f"INSERT INTO shop.orders VALUES ({n}, 'w{n}', {n % 7})",
                         check=False)
                if p.returncode != 0:
                    # A restart may end the connection after the commit and before its answer:
                    # the row is then in, and inserting it again fails on its key. Count it.
                    q = psql(self.url(), f"SELECT count(*) FROM shop.orders WHERE id = {n}",
                             check=False)
                    committed = q.returncode == 0 and q.stdout.strip() == "1"
                else:
                    committed = True
                if committed:
                    written[0] = n
                time.sleep(0.25)

        t = threading.Thread(target=writer)
        t.start()
        try:
            # A full backup first; only then the incremental schedule starts.
            self.wait_for(lambda: self.succeeded(ids["full"]) >= 1, "the first full backup")
            self.wait_for(lambda: self.succeeded(ids["inc"]) >= 2, "two incrementals")
            counts = (self.succeeded(ids["full"]), self.succeeded(ids["inc"]))
            for sig in (signal.SIGTERM, signal.SIGKILL):
                self.restart(sig)
                self.wait_for(lambda: self.succeeded(ids["full"]) >= counts[0] + 1 and
                              self.succeeded(ids["inc"]) >= counts[1] + 2,
                              f"runs after a restart by signal {sig}")
                counts = (self.succeeded(ids["full"]), self.succeeded(ids["inc"]))
        finally:
            stop.set()
            t.join()
        # A last incremental after the writes, then both schedules paused.
        self.sql(f"ALTER BACKUP SCHEDULE {ids['inc']} EXECUTE IMMEDIATELY")
        before = self.succeeded(ids["inc"])
        self.wait_for(lambda: self.succeeded(ids["inc"]) > before, "EXECUTE IMMEDIATELY")
        self.sql(f"PAUSE SCHEDULES {ids['inc']}, {ids['full']}")
        self.wait_for(lambda: all(s in ("succeeded", "failed", "canceled")
                                  for sid in ids.values() for _, s in self.jobs(sid)),
                      "the last jobs to end")
        for sid in ids.values():
            statuses = [s for _, s in self.jobs(sid)]
            self.assertNotIn("failed", statuses, sid)
            self.assertEqual(self.schedule(sid)["schedule_status"], "PAUSED")
        self.sql(f"RESTORE DATABASE shop FROM LATEST IN 'nodelocal://1/cadence' WITH "
                 f"encryption_passphrase = '{PASS}', new_db_name = 'restored'")
        self.assertGreater(written[0], 510)
        source = self.table("shop")
        self.assertEqual(len(source.splitlines()), written[0])
        self.assertEqual(self.table("restored"), source)
        m = self.metrics()
        self.assertGreaterEqual(m["schedules_BACKUP_succeeded{}"], sum(counts) + 1)
        self.assertEqual(m["schedules_BACKUP_failed{}"], 0)
        self.assertGreater(m["schedules_BACKUP_last_completed_time{}"], time.time() - 60)
        self.assertEqual(m['cofre_schedules{"status": "PAUSED"}'], 2)
        self.assert_no_secret_anywhere()

    def test_missed_times_run_once(self):
        # Three times in a row, a few seconds ahead, each minute: the server is down for all
        # three, and runs the schedule once when it starts again.
        t0 = int(time.time())
        secs = ",".join(str((t0 + d) % 60) for d in (5, 6, 7))
        ids = self.create(
            f"CREATE SCHEDULE missed FOR BACKUP DATABASE shop INTO 'nodelocal://1/missed' "
            f"WITH encryption_passphrase = '{PASS}' RECURRING '{secs} * * * * *' "
            "FULL BACKUP ALWAYS")
        self.assertEqual(list(ids), ["full"])
        self.server.stop()
        self.server = None
        self.assertLess(time.time(), t0 + 5, "the machine is too slow for this test")
        time.sleep(max(0, t0 + 9 - time.time()))
        self.start()
        self.wait_for(lambda: self.succeeded(ids["full"]) >= 1, "the missed run")
        time.sleep(2)
        self.assertEqual(len(self.jobs(ids["full"])), 1)
        next_run = self.schedule(ids["full"])["next_run"]
        # The next run is in the next minute, not one of the missed times.
        nxt = time.mktime(time.strptime(next_run[:19], "%Y-%m-%d %H:%M:%S")) - time.timezone
        self.assertGreater(nxt, t0 + 50)

    def test_failure_policies_and_execute_immediately(self):
        # The collection's path is a file: every backup into it fails.
        os.makedirs(os.path.join(self.data, "extern"), exist_ok=True)
        with open(os.path.join(self.data, "extern", "blocked"), "w") as f:
            f.write("not a directory")
        ids = {}
        for policy in ("retry", "reschedule", "pause"):
            ids[policy] = self.create(
                f"CREATE SCHEDULE {policy} FOR BACKUP DATABASE shop INTO "
                f"'nodelocal://1/blocked' WITH encryption_passphrase = '{PASS}' "
                "RECURRING '@daily' FULL BACKUP ALWAYS WITH SCHEDULE OPTIONS first_run = 'now', "
                f"on_execution_failure = '{policy}', ignore_existing_backups")["full"]
        self.wait_for(lambda: self.schedule(ids["pause"])["schedule_status"] == "PAUSED",
                      "the pause policy")
        self.assertIn("paused: job", self.schedule(ids["pause"])["state"])
        # retry: runs again after the retry delay (2 s here), and again.
        self.wait_for(lambda: len(self.jobs(ids["retry"])) >= 2, "a retry")
        self.wait_for(lambda: "retrying: job" in self.schedule(ids["retry"])["state"],
                      "the retry policy's state")
        # reschedule: one failed run, then the next crontab time (tomorrow).
        self.wait_for(lambda: "reschedule" in (self.schedule(ids["reschedule"])["state"] or ""),
                      "the reschedule policy")
        self.assertEqual([s for _, s in self.jobs(ids["reschedule"])], ["failed"])
        self.assertEqual(self.schedule(ids["reschedule"])["schedule_status"], "ACTIVE")
        self.assertEqual([s for _, s in self.jobs(ids["pause"])], ["failed"])
        failed = self.metrics()["schedules_BACKUP_failed{}"]
        self.assertGreaterEqual(failed, 4)
        # The location is repaired: EXECUTE IMMEDIATELY runs the paused schedule now.
        os.remove(os.path.join(self.data, "extern", "blocked"))
        self.sql(f"DROP SCHEDULE {ids['retry']}")
        self.sql(f"ALTER BACKUP SCHEDULE {ids['pause']} EXECUTE IMMEDIATELY")
        self.wait_for(lambda: self.succeeded(ids["pause"]) == 1, "the repaired run")
        self.wait_for(lambda: self.schedule(ids["pause"])["state"] == "", "the state cleared")
        self.assertEqual(self.schedule(ids["pause"])["schedule_status"], "ACTIVE")
        m = self.metrics()
        self.assertEqual(m["schedules_BACKUP_succeeded{}"], 1)
        self.assertGreater(m["schedules_BACKUP_last_completed_time{}"], time.time() - 60)
        self.assert_no_secret_anywhere()

    def test_pause_resume_drop_alter_and_privileges(self):
        ids = self.create(
            "CREATE SCHEDULE often FOR BACKUP DATABASE shop INTO 'nodelocal://1/often' "
            f"WITH encryption_passphrase = '{PASS}' RECURRING '* * * * * *' FULL BACKUP ALWAYS "
            "WITH SCHEDULE OPTIONS first_run = 'now', on_previous_running = 'skip'")
        sid = ids["full"]
        self.wait_for(lambda: self.succeeded(sid) >= 2, "two runs")
        p = self.sql(f"PAUSE JOBS FOR SCHEDULE {sid}")
        self.assertRegex(p.stdout + p.stderr, r"^$|PAUSE JOBS \d+")
        # The forms that name schedules by a query, as the CockroachDB docs use them.
        self.assertEqual(self.sql("PAUSE SCHEDULES WITH x AS (SHOW SCHEDULES) SELECT id FROM x "
                                  "WHERE label = 'often'").returncode, 0)
        listed = self.rows("SHOW JOBS FOR SCHEDULES SELECT id FROM [SHOW SCHEDULES] "
                           "WHERE label = 'often'")
        self.assertGreaterEqual(len(listed), 2)
        self.wait_for(lambda: all(s == "succeeded" for _, s in self.jobs(sid)), "runs to end")
        n = len(self.jobs(sid))
        time.sleep(2.5)
        self.assertEqual(len(self.jobs(sid)), n)
        self.assertEqual(self.schedule(sid)["next_run"], "")
        self.assertEqual(self.rows("SHOW RUNNING SCHEDULES"), [])
        self.sql(f"RESUME SCHEDULE {sid}")
        self.wait_for(lambda: len(self.jobs(sid)) > n, "a run after RESUME")
        # An existing collection is refused unless acknowledged; IF NOT EXISTS is a no-op.
        p = self.sql("CREATE SCHEDULE other FOR BACKUP DATABASE shop INTO 'nodelocal://1/often' "
                     f"WITH encryption_passphrase = '{PASS}' RECURRING '@daily'", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("ignore_existing_backups", p.stderr)
        self.assertEqual(self.rows(
            "CREATE SCHEDULE IF NOT EXISTS often FOR BACKUP INTO 'nodelocal://1/x' "
            "RECURRING '@daily'"), [])
        p = self.sql("CREATE SCHEDULE bad FOR BACKUP INTO 'nodelocal://1/y' "
                     "RECURRING '0 25 * * *'", check=False)
        self.assertIn("hour field \"25\": 25 is out of range 0-23", p.stderr)
        # ALTER: the cadence becomes incrementals every 2 s and a daily full.
        out = self.rows(f"ALTER BACKUP SCHEDULE {sid} SET FULL BACKUP '@daily', "
                        "SET RECURRING '*/2 * * * * *', SET LABEL renamed")
        self.assertEqual(len(out), 2)
        self.assertEqual({r[1] for r in out}, {"renamed"})
        self.assertEqual({r[4] for r in out}, {"@daily", "*/2 * * * * *"})
        inc = [r[0] for r in out if "LATEST IN" in r[5]][0]
        self.wait_for(lambda: self.succeeded(inc) >= 1, "an incremental after ALTER")
        # Another user neither creates schedules nor sees or controls root's.
        self.sql("CREATE USER alice")
        p = self.sql("CREATE SCHEDULE mine FOR BACKUP INTO 'nodelocal://1/z' RECURRING '@daily'",
                     user="alice", check=False)
        self.assertIn("only admin users can use nodelocal://", p.stderr)
        self.assertEqual(self.rows("SHOW SCHEDULES", user="alice"), [])
        for stmt in (f"PAUSE SCHEDULE {sid}", f"SHOW SCHEDULE {sid}",
                     f"SHOW JOBS FOR SCHEDULE {sid}", f"ALTER BACKUP SCHEDULE {sid} "
                     "EXECUTE IMMEDIATELY"):
            p = self.sql(stmt, user="alice", check=False)
            self.assertIn(f"schedule with ID {sid} does not exist", p.stderr, stmt)
        # DROP: the full schedule takes its incremental with it; their jobs stay.
        self.sql(f"DROP SCHEDULE {sid}")
        self.assertEqual(self.rows("SHOW SCHEDULES"), [])
        p = self.sql(f"SHOW SCHEDULE {inc}", check=False)
        self.assertIn("does not exist", p.stderr)
        n = len(self.rows("SHOW JOBS"))
        time.sleep(2.5)
        self.assertEqual(len(self.rows("SHOW JOBS")), n)
        self.assert_no_secret_anywhere()


if __name__ == "__main__":
    unittest.main()
