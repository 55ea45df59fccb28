"""BACKUP jobs that resume from their checkpoints: paused, killed (kill -9) and canceled at many
deterministic points (the server's test-only failpoints COFRE_TEST_PAUSE_AT_CHECKPOINTS,
COFRE_TEST_KILL_AT_CHECKPOINT and COFRE_TEST_KILL_AFTER_COMMIT, sql/backup_resume.h), with a
writer changing the data while the job is interrupted and while it resumes.

A resumed backup must still be one consistent snapshot: the writer moves money between rows of
many tables (the total never changes) and logs every move, so a restored state is consistent only
if its balances are exactly the replay of its own log. Without a writer during the resumed run,
the restore must equal the source exactly. Files finished before the interruption are neither
rewritten nor removed (same inode and mtime), and no file is left over.
"""
import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

from server_testlib import COFRE, CofreServer, psql

TABLES = 12
ROWS = 2000
PASS = "resume-test-passphrase-51c2"


def files_under(path):
    out = {}
    for root, _, names in os.walk(path):
        for n in names:
            if not n.endswith(("-wal", "-shm")):
                full = os.path.join(root, n)
                st = os.stat(full)
                out[os.path.relpath(full, path)] = (st.st_ino, st.st_mtime_ns)
    return out


class Writer:
    """Moves money between rows of t0..t{TABLES-1} and renumbers rows, logging each in xlog."""

    def __init__(self):
        self.rand = random.Random(16)
        self.ids = {t: list(range(1, ROWS + 1)) for t in range(TABLES)}
        self.next_id = ROWS + 1

    def batch(self, n):
        out = []
        for _ in range(n):
            a, b = self.rand.randrange(TABLES), self.rand.randrange(TABLES)
            i, j = self.rand.choice(self.ids[a]), self.rand.choice(self.ids[b])
            if self.rand.random() < 0.2:
                # A row moves to a new key (a tombstone and a new row in a delta).
                k = self.rand.randrange(len(self.ids[a]))
                old = self.ids[a][k]
                new = self.next_id
                self.next_id += 1
                self.ids[a][k] = new
                out.append(f"BEGIN; INSERT INTO t{a} SELECT {new}, bal, pad FROM t{a} WHERE id = {old}; "
                           f"DELETE FROM t{a} WHERE id = {old}; "
                           f"INSERT INTO xlog(kind, st, sid, dt, did, amount) VALUES('m', {a}, {old}, {a}, {new}, 0); COMMIT")
            else:
                amount = self.rand.randrange(1, 20)
                out.append(f"BEGIN; UPDATE t{a} SET bal = bal - {amount} WHERE id = {i}; "
                           f"UPDATE t{b} SET bal = bal + {amount} WHERE id = {j}; "
                           f"INSERT INTO xlog(kind, st, sid, dt, did, amount) VALUES('t', {a}, {i}, {b}, {j}, {amount}); COMMIT")
        return out


class JobResumeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cofre-resume-")
        cls.data = os.path.join(cls.tmp, "data")
        # One export thread and small spans: tables finish one after another, several spans each.
        os.environ["COFRE_BACKUP_THREADS"] = "1"
        os.environ["COFRE_BACKUP_TARGET_FILE_BYTES"] = "65536"
        cls.server = None
        cls.start()
        stmts = ["CREATE TABLE xlog(id INTEGER PRIMARY KEY, kind TEXT, st INT, sid INT, dt INT, did INT, amount INT)"]
        for i in range(TABLES):
            stmts.append(f"CREATE TABLE t{i}(id INTEGER PRIMARY KEY, bal INTEGER NOT NULL, pad TEXT)")
            stmts.append(f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c "
                         f"WHERE x<{ROWS}) INSERT INTO t{i} SELECT x, 100, hex(randomblob(60)) FROM c")
        cls.sql(*stmts)
        cls.writer = Writer()
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        if cls.server and not cls.server.log.closed:
            cls.server.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def start(cls, **failpoints):
        env = {"COFRE_TEST_PAUSE_AT_CHECKPOINTS": None, "COFRE_TEST_KILL_AT_CHECKPOINT": None,
               "COFRE_TEST_KILL_AFTER_COMMIT": None}
        env.update(failpoints)
        for k, v in env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = str(v)
        if cls.server and not cls.server.log.closed:
            cls.server.stop()
        cls.server = CofreServer(cls.data, insecure=True)
        for k in env:
            os.environ.pop(k, None)

    @classmethod
    def url(cls):
        return f"postgresql://root@127.0.0.1:{cls.server.port}/defaultdb?sslmode=disable"

    @classmethod
    def sql(cls, *stmts, check=True):
        return psql(cls.url(), *stmts, check=check)

    def write(self, n, embedded=False):
        stmts = self.writer.batch(n)
        if embedded:  # the server is down: the data directory is the embedded shell's
            subprocess.run([COFRE, "sql", "--data", self.data, "-e", ";".join(stmts)],
                           check=True, capture_output=True, timeout=120)
        else:
            self.sql(";".join(stmts))

    def rows(self, db):
        """Every row of every table of `db`, and its xlog."""
        out = {}
        for t in range(TABLES):
            text = self.sql(f"SELECT id, bal, pad FROM {db}.t{t} ORDER BY id").stdout
            out[t] = [tuple(line.split("|")) for line in text.split("\n") if line]
        log = self.sql(f"SELECT id, kind, st, sid, dt, did, amount FROM {db}.xlog ORDER BY id").stdout
        out["xlog"] = [tuple(line.split("|")) for line in log.split("\n") if line]
        return out

    def assert_consistent(self, restored):
        """The balances are exactly the replay of the restored log: one snapshot."""
        bal = {(t, i): 100 for t in range(TABLES) for i in range(1, ROWS + 1)}
        for n, (lid, kind, st, sid, dt, did, amount) in enumerate(restored["xlog"]):
            self.assertEqual(int(lid), n + 1, "the log has a gap")
            st, sid, dt, did, amount = int(st), int(sid), int(dt), int(did), int(amount)
            if kind == "m":
                bal[(dt, did)] = bal.pop((st, sid))
            else:
                bal[(st, sid)] -= amount
                bal[(dt, did)] += amount
        got = {(t, int(r[0])): int(r[1]) for t in range(TABLES) for r in restored[t]}
        self.assertEqual(got, bal)
        self.assertEqual(sum(got.values()), 100 * ROWS * TABLES)

    def collection(self):
        JobResumeTest.n += 1
        name = f"c{JobResumeTest.n}"
        return name, os.path.join(self.data, "extern", name)

    def backup(self, name):
        out = self.sql(f"BACKUP DATABASE defaultdb INTO 'nodelocal://1/{name}' WITH "
                       f"encryption_passphrase = '{PASS}', detached").stdout.strip()
        self.assertRegex(out, r"^\d+$")
        return out

    def job(self, jid):
        row = self.sql(f"SHOW JOB {jid}").stdout.strip().split("|")
        return {"status": row[4], "num_runs": int(row[13]), "error": row[11],
                "running_status": row[5], "fraction": float(row[10] or 0)}

    def assert_paused_midway(self, jid, kind):
        """A paused job shows how far it got and what it was doing."""
        j = self.job(jid)
        self.assertGreater(j["fraction"], 0, j)
        self.assertLess(j["fraction"], 1, j)
        self.assertRegex(j["running_status"], rf"^backing up {kind} into 'nodelocal://1/c\d+'$")

    def wait_status(self, jid, statuses, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            j = self.job(jid)
            if j["status"] in statuses:
                return j
            time.sleep(0.02)
        self.fail(f"job {jid} stayed {self.job(jid)}")

    def when_complete(self, jid):
        return self.sql(f"SHOW JOB WHEN COMPLETE {jid}").stdout.strip().split("|")[4]

    def restore(self, name, target):
        self.sql(f"RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/{name}' WITH "
                 f"encryption_passphrase = '{PASS}', new_db_name = '{target}'")
        got = self.rows(target)
        self.sql(f"DROP DATABASE {target} CASCADE")
        return got

    def check_collection(self, name, path):
        """One complete backup, no lock, and no file that its manifest does not name."""
        files = files_under(path)
        dirs = {"/".join(f.split("/")[:3]) for f in files if f != "LATEST"}
        self.assertEqual(len(dirs), 1, sorted(files))
        (d,) = dirs
        self.assertIn(d + "/BACKUP_MANIFEST", files)
        self.assertNotIn(d + "/BACKUP-LOCK", files)
        listed = self.sql(f"SHOW BACKUP FILES FROM LATEST IN 'nodelocal://1/{name}' WITH "
                          f"encryption_passphrase = '{PASS}'").stdout
        named = {line.split("|")[0] for line in listed.split("\n") if line}
        on_disk = {f for f in files if "/data/" in f}
        self.assertEqual(on_disk, named)
        # Verification reads the resumed layer's bases and deltas back.
        r = self.sql(f"SHOW BACKUP FROM LATEST IN 'nodelocal://1/{name}' WITH "
                     f"encryption_passphrase = '{PASS}', check_files")
        self.assertRegex(r.stderr, r"check_files: all \d+ data files")
        self.sql(f"RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/{name}' WITH "
                 f"encryption_passphrase = '{PASS}', schema_only, verify_backup_table_data")
        return files

    def resume_and_wait(self, jid, concurrent):
        """RESUME JOB, with a writer running through the resumed run when `concurrent`; the job
        must succeed in its second run."""
        stop = threading.Event()
        thread = None
        if concurrent:
            thread = threading.Thread(target=lambda: [self.write(5) for _ in iter(stop.is_set, True)])
        self.sql(f"RESUME JOB {jid}")
        if thread:
            thread.start()
        status = self.when_complete(jid)
        stop.set()
        if thread:
            thread.join()
        self.assertEqual(status, "succeeded", self.job(jid))
        self.assertEqual(self.job(jid)["num_runs"], 2)

    def data_files(self, path):
        return {f: v for f, v in files_under(path).items() if "/data/" in f}

    def test_pause_resume_with_writers_is_one_snapshot(self):
        # Points are tables finished (13 in all, one piece each): low enough that the job is
        # still running when its pause lands.
        for point, writes, concurrent in ((1, 150, False), (4, 150, True), (7, 150, True),
                                          (5, 0, False)):
            self.start(COFRE_TEST_PAUSE_AT_CHECKPOINTS=point)
            name, path = self.collection()
            jid = self.backup(name)
            self.assertEqual(self.wait_status(jid, {"paused", "succeeded"})["status"], "paused")
            self.assert_paused_midway(jid, "a full backup")
            before = self.data_files(path)
            self.assertGreater(len(before), 0)
            # Unfinished: not listed, LATEST not written.
            self.assertNotIn("LATEST", files_under(path))
            self.assertFalse(any(f.endswith("BACKUP_MANIFEST") for f in files_under(path)))
            if writes:
                self.write(writes)  # while paused: the finished spans must catch up
            logged = int(self.sql("SELECT count(*) FROM xlog").stdout.strip())
            self.resume_and_wait(jid, concurrent)
            summary = re.search(r"resumed: run 2, (\d+) finished spans kept unread, (\d+) brought up "
                                r"to date", self.job(jid)["running_status"])
            self.assertIsNotNone(summary, self.job(jid))
            kept, brought = int(summary.group(1)), int(summary.group(2))
            if writes:
                self.assertGreater(brought, 0)
            else:
                # Nothing changed: no finished file was even read again (same leaves).
                self.assertEqual(brought, 0)
                self.assertGreaterEqual(kept, point)
            after = self.check_collection(name, path)
            # Finished files are kept as they were (not rewritten).
            for f, v in before.items():
                self.assertEqual(after.get(f), v, f)
            restored = self.restore(name, f"p{point}")
            self.assertGreaterEqual(len(restored["xlog"]), logged)
            self.assert_consistent(restored)
            if not concurrent:
                self.assertEqual(restored, self.rows("defaultdb"))

    def test_kill_9_at_many_points_then_restart(self):
        for point in list(range(1, 12)) + ["commit"]:
            if point == "commit":
                self.start(COFRE_TEST_KILL_AFTER_COMMIT=1)
            else:
                self.start(COFRE_TEST_KILL_AT_CHECKPOINT=point)
            name, path = self.collection()
            source = self.rows("defaultdb")
            jid = self.backup(name)
            self.assertEqual(self.server.proc.wait(timeout=60), -signal.SIGKILL)
            killed = self.data_files(path)
            self.write(40, embedded=True)
            self.start()
            self.assertEqual(self.when_complete(jid), "succeeded", (point, self.job(jid)))
            self.assertEqual(self.job(jid)["num_runs"], 2, point)
            after = self.check_collection(name, path)
            kept = {f: v for f, v in killed.items() if f in after}
            for f, v in kept.items():
                self.assertEqual(after[f], v, (point, f))
            if point == "commit":
                # The committed layer was recognised: nothing was written again, and it holds
                # the data of before the writes.
                self.assertEqual(self.data_files(path), killed)
                self.assertEqual(self.restore(name, "k"), source)
                continue
            else:
                self.assertGreaterEqual(len(kept), point - 1, point)
            self.assertEqual(self.restore(name, "k"), self.rows("defaultdb"), point)

    def incremental(self, name):
        out = self.sql(f"BACKUP DATABASE defaultdb INTO LATEST IN 'nodelocal://1/{name}' WITH "
                       f"encryption_passphrase = '{PASS}', detached").stdout.strip()
        self.assertRegex(out, r"^\d+$")
        return out

    def full_then_changes(self):
        """A collection holding a full backup, then changes in every table for an incremental."""
        name, path = self.collection()
        self.sql(f"BACKUP DATABASE defaultdb INTO 'nodelocal://1/{name}' WITH "
                 f"encryption_passphrase = '{PASS}'")
        self.write(400)
        full = set(files_under(path))
        return name, path, full

    def check_chain(self, name, path, full):
        """The full backup untouched, one committed incremental, no lock, and no data file that
        the chain's manifests do not name; every file passes its checks."""
        files = files_under(path)
        self.assertFalse([f for f in files if f.endswith("BACKUP-LOCK")], sorted(files))
        # incrementals/<full subdir: 3 parts>/<day>/<time>/...
        layers = {"/".join(f.split("/")[:6]) for f in files if f.startswith("incrementals/")}
        self.assertEqual(len(layers), 1, sorted(layers))
        (layer,) = layers
        self.assertIn(layer + "/BACKUP_MANIFEST", files)
        self.assertTrue(full <= set(files))
        listed = self.sql(f"SHOW BACKUP FILES FROM LATEST IN 'nodelocal://1/{name}' WITH "
                          f"encryption_passphrase = '{PASS}'").stdout
        named = {line.split("|")[0] for line in listed.split("\n") if line}
        self.assertEqual({f for f in files if "/data/" in f}, named)
        r = self.sql(f"SHOW BACKUP FROM LATEST IN 'nodelocal://1/{name}' WITH "
                     f"encryption_passphrase = '{PASS}', check_files")
        self.assertRegex(r.stderr, r"check_files: all \d+ data files")
        return files

    def test_incremental_pause_resume_with_writers_is_one_snapshot(self):
        for point, concurrent in ((2, False), (6, True)):
            self.start()
            name, path, full = self.full_then_changes()
            self.start(COFRE_TEST_PAUSE_AT_CHECKPOINTS=point)
            jid = self.incremental(name)
            self.assertEqual(self.wait_status(jid, {"paused", "succeeded"})["status"], "paused")
            self.assert_paused_midway(jid, "an incremental layer")
            before = {f: v for f, v in self.data_files(path).items() if f not in full}
            self.assertGreater(len(before), 0)
            # Unfinished: SHOW BACKUP lists the full backup only.
            self.assertFalse([f for f in files_under(path)
                              if f.startswith("incrementals/") and f.endswith("BACKUP_MANIFEST")])
            self.write(150)  # while paused: the finished items must catch up
            self.resume_and_wait(jid, concurrent)
            summary = re.search(r"layer 1 \(incremental\).*resumed: run 2, (\d+) finished spans "
                                r"kept unread, (\d+) brought up to date", self.job(jid)["running_status"])
            self.assertIsNotNone(summary, self.job(jid))
            self.assertGreater(int(summary.group(1)) + int(summary.group(2)), 0)
            after = self.check_chain(name, path, full)
            for f, v in before.items():
                self.assertEqual(after.get(f), v, f)  # finished files are not rewritten
            restored = self.restore(name, f"ip{point}")
            self.assert_consistent(restored)
            if not concurrent:
                self.assertEqual(restored, self.rows("defaultdb"))

    def test_incremental_kill_9_then_restart(self):
        for point in (1, 4, 8, "commit"):
            self.start()
            name, path, full = self.full_then_changes()
            if point == "commit":
                self.start(COFRE_TEST_KILL_AFTER_COMMIT=1)
            else:
                self.start(COFRE_TEST_KILL_AT_CHECKPOINT=point)
            source = self.rows("defaultdb")
            jid = self.incremental(name)
            self.assertEqual(self.server.proc.wait(timeout=60), -signal.SIGKILL)
            killed = {f: v for f, v in self.data_files(path).items() if f not in full}
            self.write(40, embedded=True)
            self.start()
            self.assertEqual(self.when_complete(jid), "succeeded", (point, self.job(jid)))
            self.assertEqual(self.job(jid)["num_runs"], 2, point)
            after = self.check_chain(name, path, full)
            kept = {f: v for f, v in killed.items() if f in after}
            for f, v in kept.items():
                self.assertEqual(after[f], v, (point, f))
            if point == "commit":
                self.assertEqual({f: v for f, v in self.data_files(path).items() if f not in full},
                                 killed)
                self.assertEqual(self.restore(name, "ik"), source)
                continue
            self.assertGreater(len(kept), 0, point)
            self.assertRegex(self.job(jid)["running_status"], r"resumed: run 2", point)
            self.assertEqual(self.restore(name, "ik"), self.rows("defaultdb"), point)

    def test_incremental_cancel_while_paused_leaves_the_chain_as_it_was(self):
        self.start()
        name, path, full = self.full_then_changes()
        self.start(COFRE_TEST_PAUSE_AT_CHECKPOINTS=3)
        jid = self.incremental(name)
        self.assertEqual(self.wait_status(jid, {"paused", "succeeded"})["status"], "paused")
        self.assertNotEqual(set(files_under(path)), full)
        self.sql(f"CANCEL JOB {jid}")
        self.assertEqual(self.wait_status(jid, {"canceled"})["status"], "canceled")
        self.assertEqual(set(files_under(path)), full)

    def test_schema_changes_while_paused(self):
        """Tables redefined, dropped and created while a backup is paused: the resumed backup is
        the new schema exactly, and the files of spans it could not use are gone."""
        stmts = ["CREATE DATABASE sc"]
        for i in range(6):
            stmts.append(f"CREATE TABLE sc.s{i}(id INTEGER PRIMARY KEY, v TEXT)")
            stmts.append(f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE "
                         f"x<2000) INSERT INTO sc.s{i} SELECT x, hex(randomblob(60)) FROM c")
        self.start(COFRE_TEST_PAUSE_AT_CHECKPOINTS=4)
        self.sql(*stmts)
        name, path = self.collection()
        jid = self.sql(f"BACKUP DATABASE sc INTO 'nodelocal://1/{name}' WITH detached").stdout.strip()
        self.assertEqual(self.wait_status(jid, {"paused", "succeeded"})["status"], "paused")
        # Tables are backed up in name order: s0..s3 are finished.
        self.sql("ALTER TABLE sc.s0 ADD COLUMN w INTEGER DEFAULT 7", "DROP TABLE sc.s1",
                 "DELETE FROM sc.s2 WHERE id % 3 = 0", "CREATE TABLE sc.s9(k TEXT PRIMARY KEY) WITHOUT ROWID",
                 "INSERT INTO sc.s9 VALUES ('a'), ('b')", "UPDATE sc.s4 SET v = 'x' WHERE id < 10")
        self.sql(f"RESUME JOB {jid}")
        self.assertEqual(self.when_complete(jid), "succeeded", self.job(jid))
        # s2 and s3 were finished and kept (s3 unread); s0 (redefined) and s1 (dropped) were not.
        self.assertRegex(self.job(jid)["running_status"],
                         r"resumed: run 2, [1-9]\d* finished spans kept unread, [1-9]\d* brought")
        listed = self.sql(f"SHOW BACKUP FILES FROM LATEST IN 'nodelocal://1/{name}'").stdout
        named = {line.split("|")[0] for line in listed.split("\n") if line}
        self.assertEqual({f for f in files_under(path) if "/data/" in f}, named)
        self.sql(f"RESTORE DATABASE sc FROM LATEST IN 'nodelocal://1/{name}' WITH new_db_name = 'sc2'")
        tables = ["s0", "s2", "s3", "s4", "s5", "s9"]
        for t in tables:
            q = f"SELECT * FROM {{}}.{t} ORDER BY 1"
            self.assertEqual(self.sql(q.format("sc2")).stdout, self.sql(q.format("sc")).stdout, t)
        self.assertEqual(self.sql("SELECT name FROM sc2.sqlite_schema WHERE type = 'table' ORDER BY 1").stdout.split(),
                         sorted(tables))
        self.sql("DROP DATABASE sc2 CASCADE", "DROP DATABASE sc CASCADE")

    def test_cancel_at_many_points_removes_everything(self):
        self.start()
        dbs = files_under(os.path.join(self.data, "databases"))
        for point in (1, 5, 10):
            self.start(COFRE_TEST_PAUSE_AT_CHECKPOINTS=point)
            name, path = self.collection()
            jid = self.backup(name)
            self.assertEqual(self.wait_status(jid, {"paused", "succeeded"})["status"], "paused")
            self.assertNotEqual(files_under(path), {})
            self.sql(f"CANCEL JOB {jid}")
            self.assertEqual(self.wait_status(jid, {"canceled"})["status"], "canceled")
            self.assertEqual(files_under(path), {}, point)
        # A running job canceled: the same.
        self.start()
        name, path = self.collection()
        jid = self.backup(name)
        self.wait_status(jid, {"running"})
        self.sql(f"CANCEL JOB {jid}", check=False)
        if self.wait_status(jid, {"canceled", "succeeded"})["status"] == "canceled":
            self.assertEqual(files_under(path), {})
        self.assertEqual(set(files_under(os.path.join(self.data, "databases"))), set(dbs))


if __name__ == "__main__":
    unittest.main()
