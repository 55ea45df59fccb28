"""Jobs that live in the server: BACKUP/RESTORE ... WITH detached, SHOW JOB(S) [WHEN COMPLETE],
PAUSE/RESUME/CANCEL JOB, a statement's cancel request, kill -9 and restart of the server.

Every result is checked exactly (the restored tables equal the source) and the collection and the
data directory hold no leftover file. Runs against a real `cofre start` with psql.
"""
import hashlib
import os
import pty
import shutil
import signal
import stat
import subprocess
import tempfile
import time
import unittest

from server_testlib import COFRE, CofreServer, main, prometheus_metrics, psql

TABLES = 60
ROWS = 4000
PASS = "jobs-test-passphrase-9f3c"


def files_under(path):
    """Every file under `path` (SQLite's -wal/-shm of open databases aside)."""
    out = set()
    for root, _, names in os.walk(path):
        for n in names:
            if not n.endswith(("-wal", "-shm")):
                out.add(os.path.relpath(os.path.join(root, n), path))
    return out


class JobsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cofre-jobs-")
        cls.data = os.path.join(cls.tmp, "data")
        # One export thread: the stop token is checked between tables, so a control request
        # lands mid-backup.
        os.environ["COFRE_BACKUP_THREADS"] = "1"
        cls.start()
        stmts = []
        for i in range(TABLES):
            stmts.append(f"CREATE TABLE t{i}(id INTEGER PRIMARY KEY, v TEXT)")
            stmts.append(f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c "
                         f"WHERE x<{ROWS}) INSERT INTO t{i} SELECT x, hex(randomblob(100)) FROM c")
        psql(cls.url(), *stmts)
        cls.source = cls.fingerprint("defaultdb")
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def start(cls):
        cls.server = CofreServer(cls.data, insecure=True)

    @classmethod
    def url(cls, user="root", db="defaultdb"):
        return f"postgresql://{user}@127.0.0.1:{cls.server.port}/{db}?sslmode=disable"

    @classmethod
    def sql(cls, *stmts, user="root", check=True):
        return psql(cls.url(user), *stmts, check=check)

    @classmethod
    def fingerprint(cls, db):
        h = hashlib.sha256()
        for i in range(0, TABLES, 20):  # TABLES is a multiple of 20
            q = [f"SELECT '{j}', id, v FROM {db}.t{j} ORDER BY id" for j in range(i, i + 20)]
            h.update(cls.sql(*q).stdout.encode())
        return h.hexdigest()

    def collection(self):
        JobsTest.n += 1
        return f"c{JobsTest.n}", os.path.join(self.data, "extern", f"c{JobsTest.n}")

    def job(self, jid):
        row = self.sql(f"SHOW JOB {jid}").stdout.strip().split("|")
        return {"status": row[4], "fraction": float(row[10]), "error": row[11],
                "user": row[3], "num_runs": int(row[13]), "description": row[2]}

    def wait_status(self, jid, statuses, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            j = self.job(jid)
            if j["status"] in statuses:
                return j
            time.sleep(0.02)
        self.fail(f"job {jid} stayed {self.job(jid)}")

    def detached(self, stmt, user="root"):
        out = self.sql(stmt + (", detached" if " WITH " in stmt else " WITH detached"),
                       user=user).stdout.strip()
        self.assertRegex(out, r"^\d+$")
        return out

    def backup(self, name):
        return self.detached(f"BACKUP DATABASE defaultdb INTO 'nodelocal://1/{name}' WITH encryption_passphrase = '{PASS}'")

    def when_complete(self, jid):
        return self.sql(f"SHOW JOB WHEN COMPLETE {jid}").stdout.strip().split("|")[4]

    def check_restores_exactly(self, name, target):
        jid = self.detached(f"RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/{name}' "
                            f"WITH encryption_passphrase = '{PASS}', new_db_name = '{target}'")
        self.assertEqual(self.when_complete(jid), "succeeded", self.job(jid))
        self.assertEqual(self.fingerprint(target), self.source)
        self.sql(f"DROP DATABASE {target} CASCADE")

    def reference_files(self):
        """The files an uninterrupted backup writes (relative to its backup directory)."""
        if not hasattr(JobsTest, "_reference"):
            name, path = self.collection()
            self.assertEqual(self.when_complete(self.backup(name)), "succeeded")
            JobsTest._reference = self.layer_files(path)
        return JobsTest._reference

    def layer_files(self, path):
        """The files of the backup LATEST names other than its data files (without its
        time-stamped directory), after checking that every backup directory of the collection is
        complete (a kill -9 between a run's commit and its job record leaves one more complete
        backup, never a partial one) and holds exactly the data files its manifest names."""
        files = files_under(path)
        dirs = {"/".join(f.split("/")[:3]) for f in files if f != "LATEST"}
        for d in dirs:
            self.assertIn(d + "/BACKUP_MANIFEST", files)
            self.assertNotIn(d + "/BACKUP-LOCK", files)
        with open(os.path.join(path, "LATEST")) as f:
            latest = f.read().strip().lstrip("/")
        self.assertIn(latest, dirs)
        # The data files on disk are the ones the collection's manifests name: none left over,
        # none missing. Their numbers are not compared: a run resumed after a kill -9 numbers
        # its new files after those the killed run left (backup/backup_checkpoint.h).
        listed = self.sql(f"SHOW BACKUP FILES FROM LATEST IN 'nodelocal://1/{os.path.basename(path)}' "
                          f"WITH encryption_passphrase = '{PASS}'").stdout
        named = {line.split("|")[0] for line in listed.split("\n") if line}
        self.assertEqual({f for f in files if f.startswith(latest + "/") and "/data/" in f}, named)
        return sorted("/".join(f.split("/")[3:]) for f in files
                      if f.startswith(latest + "/") and "/data/" not in f)

    def test_detached_backup_and_restore_are_exact(self):
        name, path = self.collection()
        jid = self.backup(name)
        self.assertEqual(self.when_complete(jid), "succeeded")
        j = self.job(jid)
        self.assertEqual(j["fraction"], 1.0)
        self.assertEqual(j["user"], "root")
        self.assertNotIn(PASS, j["description"])
        self.assertIn("'*****'", j["description"])
        self.check_restores_exactly(name, "exact")
        self.assertEqual(self.layer_files(path), self.reference_files())

    def test_secrets_are_sealed_under_a_0600_node_key(self):
        name, _ = self.collection()
        jid = self.backup(name)
        self.assertEqual(self.when_complete(jid), "succeeded")
        key = os.path.join(self.data, "node.key")
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
        self.assertEqual(os.path.getsize(key), 32)
        for f in files_under(self.data):
            if f.startswith("system"):
                with open(os.path.join(self.data, f), "rb") as fh:
                    self.assertNotIn(PASS.encode(), fh.read(), f)
        self.assertNotIn(PASS, self.sql("SHOW JOBS").stdout)
        self.assertNotIn(PASS, self.server.read_log())

    def test_pause_and_resume_at_many_points(self):
        reference = self.reference_files()
        paused = 0
        for delay in (0.0, 0.1, 0.25, 0.45):
            name, path = self.collection()
            jid = self.backup(name)
            time.sleep(delay)
            self.sql(f"PAUSE JOB {jid}", check=False)  # refused once the job succeeded
            j = self.wait_status(jid, {"paused", "succeeded"})
            if j["status"] == "paused":
                paused += 1
                # A paused backup keeps its finished spans for the resume, unlisted: no
                # manifest, no LATEST.
                self.assertFalse({f for f in files_under(path)
                                  if f == "LATEST" or f.endswith("BACKUP_MANIFEST")}, delay)
                self.sql(f"RESUME JOB {jid}")
            self.assertEqual(self.when_complete(jid), "succeeded", delay)
            self.assertEqual(self.layer_files(path), reference, delay)
        self.assertGreaterEqual(paused, 2)
        self.check_restores_exactly(name, "paused")

    def test_resume_while_pausing(self):
        reference = self.reference_files()
        name, path = self.collection()
        jid = self.backup(name)
        time.sleep(0.1)
        self.sql(f"PAUSE JOB {jid}", check=False)  # refused once the job succeeded
        # Still pausing (or paused): it runs again, from its checkpoint, once stopped.
        r = self.sql(f"RESUME JOB {jid}", check=False)
        self.assertTrue(r.returncode == 0 or "succeeded" in r.stderr, r.stderr)
        self.assertEqual(self.when_complete(jid), "succeeded")
        self.assertEqual(self.layer_files(path), reference)

    def test_cancel_backup_at_many_points_leaves_nothing(self):
        canceled = 0
        for delay in (0.0, 0.1, 0.3):
            name, path = self.collection()
            jid = self.backup(name)
            time.sleep(delay)
            self.sql(f"CANCEL JOB {jid}", check=False)  # refused once the job succeeded
            j = self.wait_status(jid, {"canceled", "succeeded"})
            if j["status"] == "canceled":
                canceled += 1
                self.assertEqual(files_under(path), set(), delay)
                self.assertEqual(self.when_complete(jid), "canceled")
            # A canceled job cannot be resumed or paused.
            r = self.sql(f"RESUME JOB {jid}", check=False)
            if j["status"] == "canceled":
                self.assertNotEqual(r.returncode, 0)
                self.assertIn("cannot be resumed", r.stderr)
        self.assertGreaterEqual(canceled, 2)

    def test_pause_resume_and_cancel_restore(self):
        name, _ = self.collection()
        self.assertEqual(self.when_complete(self.backup(name)), "succeeded")
        dbs = files_under(os.path.join(self.data, "databases"))
        restore = (f"RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/{name}' WITH "
                   f"encryption_passphrase = '{PASS}', new_db_name = 'rst'")
        canceled = 0
        for delay in (0.0, 0.03, 0.08, 0.15):
            jid = self.detached(restore)
            time.sleep(delay)
            self.sql(f"CANCEL JOB {jid}", check=False)  # refused once the job succeeded
            if self.wait_status(jid, {"canceled", "succeeded"})["status"] == "succeeded":
                self.sql("DROP DATABASE rst CASCADE")
            else:
                canceled += 1
            # Never half-visible: no database, no staging file.
            self.assertNotIn("rst", self.sql("SHOW DATABASES").stdout.split())
            self.assertEqual(files_under(os.path.join(self.data, "databases")), dbs)
        self.assertGreaterEqual(canceled, 2)
        jid = self.detached(restore)
        time.sleep(0.05)
        self.sql(f"PAUSE JOB {jid}", check=False)
        if self.wait_status(jid, {"paused", "succeeded"})["status"] == "paused":
            self.assertNotIn("rst", self.sql("SHOW DATABASES").stdout.split())
            self.sql(f"RESUME JOB {jid}")
        self.assertEqual(self.when_complete(jid), "succeeded")
        self.assertEqual(self.fingerprint("rst"), self.source)
        self.sql("DROP DATABASE rst CASCADE")

    def test_kill_9_at_many_points_then_restart(self):
        reference = self.reference_files()
        cls = type(self)
        rerun = 0
        for delay in (0.0, 0.05, 0.15, 0.3, 0.5):
            name, path = self.collection()
            jid = self.backup(name)
            time.sleep(delay)
            cls.server.stop(sig=signal.SIGKILL)
            cls.start()
            self.assertEqual(self.when_complete(jid), "succeeded", delay)
            self.assertEqual(self.layer_files(path), reference, delay)
            rerun += self.job(jid)["num_runs"] >= 2
        self.assertGreaterEqual(rerun, 2)
        self.check_restores_exactly(name, "killed")

    def test_kill_9_during_a_restore_then_restart(self):
        name, _ = self.collection()
        self.assertEqual(self.when_complete(self.backup(name)), "succeeded")
        dbs = files_under(os.path.join(self.data, "databases"))
        cls = type(self)
        rerun = 0
        for delay in (0.0, 0.05, 0.15):
            jid = self.detached(f"RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/{name}' "
                                f"WITH encryption_passphrase = '{PASS}', new_db_name = 'rk'")
            time.sleep(delay)
            cls.server.stop(sig=signal.SIGKILL)
            cls.start()
            # The restore starts over at the restart; it was never half-visible.
            self.assertEqual(self.when_complete(jid), "succeeded", delay)
            rerun += self.job(jid)["num_runs"] >= 2
            self.assertEqual(self.fingerprint("rk"), self.source)
            self.sql("DROP DATABASE rk CASCADE")
            self.assertEqual(files_under(os.path.join(self.data, "databases")), dbs, delay)
        self.assertGreaterEqual(rerun, 1)

    def test_sigterm_requeues_a_running_job(self):
        cls = type(self)
        name, path = self.collection()
        jid = self.backup(name)
        time.sleep(0.1)
        self.assertEqual(cls.server.stop(), 0)
        cls.start()
        self.assertEqual(self.when_complete(jid), "succeeded")
        self.assertEqual(self.layer_files(path), self.reference_files())

    def test_cancel_request_stops_a_foreground_backup(self):
        name, path = self.collection()
        p = subprocess.Popen(["psql", self.url(), "-X", "-A", "-t", "-c",
                              f"BACKUP DATABASE defaultdb INTO 'nodelocal://1/{name}'"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.3)
        p.send_signal(signal.SIGINT)  # psql sends a CancelRequest
        out, err = p.communicate(timeout=30)
        if p.returncode != 0:
            self.assertIn("cancel", err.lower())
            self.assertEqual(files_under(path), set())
            rows = [r.split("|") for r in self.sql("SHOW JOBS").stdout.split("\n")
                    if f"/{name}'" in r]
            # Canceled while running, or before its job record was made.
            self.assertIn([r[4] for r in rows], ([], ["canceled"]))

    def test_job_privileges(self):
        self.sql("CREATE USER IF NOT EXISTS bob")
        name, _ = self.collection()
        root_job = self.backup(name)
        self.assertEqual(self.when_complete(root_job), "succeeded")
        # Without VIEWJOB, bob sees none of root's jobs, and cannot learn they exist.
        self.assertNotIn(root_job, self.sql("SHOW JOBS", user="bob").stdout)
        for stmt in (f"SHOW JOB {root_job}", f"CANCEL JOB {root_job}", f"PAUSE JOB {root_job}"):
            r = self.sql(stmt, user="bob", check=False)
            self.assertNotEqual(r.returncode, 0, stmt)
            self.assertIn("does not exist", r.stderr, stmt)
        # VIEWJOB shows every job, but does not allow controlling them.
        self.sql("GRANT SYSTEM VIEWJOB TO bob")
        self.assertIn(root_job, self.sql("SHOW JOBS", user="bob").stdout)
        r = self.sql(f"CANCEL JOB {root_job}", user="bob", check=False)
        self.assertIn("CONTROLJOB", r.stderr)
        # CONTROLJOB does (here refused only because the job has finished).
        self.sql("GRANT SYSTEM CONTROLJOB TO bob")
        r = self.sql(f"PAUSE JOB {root_job}", user="bob", check=False)
        self.assertIn("with status succeeded cannot be paused", r.stderr)
        r = self.sql("PAUSE JOB 12345", check=False)
        self.assertIn("does not exist", r.stderr)

    def test_metrics_parse_and_count_succeeded_jobs(self):
        name, _ = self.collection()
        self.assertEqual(self.when_complete(self.backup(name)), "succeeded")
        before = time.time()
        m = prometheus_metrics(self.server.http_port)  # parsed by the Prometheus client library
        b = '{"type": "BACKUP"}'
        self.assertGreaterEqual(m["cofre_jobs_rows_written_total" + b], TABLES * ROWS)
        self.assertGreater(m["cofre_jobs_bytes_written_total" + b], TABLES * ROWS * 200)
        count = m["cofre_jobs_duration_seconds_count" + b]
        self.assertGreaterEqual(count, 1)
        self.assertEqual(m['cofre_jobs_duration_seconds_bucket{"le": "+Inf", "type": "BACKUP"}'],
                         count)
        self.assertLessEqual(m['cofre_jobs_duration_seconds_bucket{"le": "1", "type": "BACKUP"}'],
                             count)
        last = m["cofre_jobs_last_success_timestamp_seconds" + b]
        self.assertLess(abs(last - before), 60)
        self.assertGreaterEqual(
            m['cofre_jobs{"status": "succeeded", "type": "BACKUP"}'], 1)

    def test_embedded_detached_is_refused(self):
        with tempfile.TemporaryDirectory() as d:
            r = subprocess.run([COFRE, "sql", "--data", os.path.join(d, "x"), "-e",
                                "BACKUP INTO 'nodelocal://1/x' WITH detached"],
                               capture_output=True, text=True)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("detached needs a server", r.stderr)
            self.assertFalse(os.path.exists(os.path.join(d, "x", "extern", "x")))


class ProgressLineTest(unittest.TestCase):
    """The live progress line of embedded `cofre sql` for a BACKUP/RESTORE waiting on a terminal,
    and nothing when the output is not a terminal."""

    def test_progress_line_only_on_a_terminal(self):
        with tempfile.TemporaryDirectory() as d:
            data = os.path.join(d, "data")
            stmts = []
            # Big enough for a backup of a few seconds on one thread: the line is redrawn.
            for i in range(TABLES):
                stmts += ["-e", f"CREATE TABLE t{i}(id INTEGER PRIMARY KEY, v TEXT); "
                          f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE "
                          f"x<{4 * ROWS}) INSERT INTO t{i} SELECT x, hex(randomblob(100)) FROM c"]
            subprocess.run([COFRE, "sql", "--data", data, *stmts], check=True,
                           capture_output=True)
            env = dict(os.environ, COFRE_BACKUP_THREADS="1")
            text = self.on_terminal([COFRE, "sql", "--data", data, "-e",
                                     "BACKUP INTO 'nodelocal://1/p1'"], env)
            # Rows, bytes and the bytes' rate once the job reported some.
            self.assertRegex(text, r"\rBACKUP +\d+\.\d%  [\d,]+ rows  [\d.]+ [KMG]?i?B  "
                                   r"[\d.]+ [KMG]?i?B/s  elapsed \d+s  ETA ")
            self.assertTrue(text.endswith("\r\x1b[K"), repr(text[-80:]))  # erased at the end
            r = subprocess.run([COFRE, "sql", "--data", data, "-e",
                                "BACKUP INTO 'nodelocal://1/p2'"], capture_output=True, env=env)
            self.assertEqual(r.returncode, 0)
            self.assertNotIn(b"ETA", r.stderr + r.stdout)
            self.assertNotIn(b"\r", r.stderr)
            # A --url session follows its job through the server's SHOW JOBS.
            server = CofreServer(data, insecure=True)
            try:
                url = f"postgresql://root@127.0.0.1:{server.port}/defaultdb?sslmode=disable"
                text = self.on_terminal([COFRE, "sql", "--url", url, "-e",
                                         "BACKUP INTO 'nodelocal://1/p3'"], env)
                self.assertRegex(text, r"\rBACKUP +\d+\.\d%  [\d,]+ rows  [\d.]+ [KMG]?i?B  "
                                       r"[\d.]+ [KMG]?i?B/s  elapsed \d+s  ETA ")
                self.assertTrue(text.endswith("\r\x1b[K"), repr(text[-80:]))
            finally:
                server.stop()

    def on_terminal(self, args, env):
        """Runs `args` with stderr on a pty; returns what it drew there."""
        master, slave = pty.openpty()
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=slave, env=env)
        os.close(slave)
        shown = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
        out, _ = p.communicate(timeout=120)
        os.close(master)
        self.assertEqual(p.returncode, 0)
        self.assertIn("succeeded", out.decode())
        return shown.decode(errors="replace")


if __name__ == "__main__":
    main()
