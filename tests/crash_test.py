"""Crash matrix: `cofre sql` is killed (SIGKILL) at many points of a BACKUP and of a RESTORE,
chosen by bytes written to files (tests/tools/write_fault.c, preloaded), and after every kill:

- the data directory opens cleanly (SHOW DATABASES, SHOW JOBS), and the killed job is no longer
  "running";
- every earlier backup of the collection still restores, bit-exact; LATEST names an earlier
  backup or a complete new one; nothing without a BACKUP_MANIFEST is listed;
- no half-restored database is visible and no unpublished file is left in databases/;
- running the same statement again succeeds and restores exactly, and leaves nothing of the
  killed run in the collection: no unfinished directory, no temp file, no BACKUP-LOCK (the
  rerun removes what its data directory's dead job left, backup/unfinished_layers.h).

Scenarios: a full backup, an incremental layer, an encrypted full backup, a RESTORE DATABASE
from an encrypted chain (full + incremental), a full-cluster RESTORE into a new data directory.
Points: for backups, half over every byte the process writes (job records in system.sqlite
included) and half over the bytes written to the collection only (so the ends of the manifest and
LATEST writes are hit exactly); for restores, over every byte written. COFRE_CRASH_POINTS sets
the number of points per scenario (default 22)."""
import os
import shutil
import signal
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import fault_testlib as ft  # noqa: E402

POINTS = int(os.environ.get("COFRE_CRASH_POINTS", "22"))
TARGET_FILE_BYTES = "32768"  # many small data files from a few MB
PW = "crash-matrix-passphrase"
TABLES = ["items", "kv"]


def env(**kw):
    return ft.shim_env(extra={"COFRE_BACKUP_TARGET_FILE_BYTES": TARGET_FILE_BYTES}, **kw)


def run(data, *stmts, **kw):
    return ft.cofre(data, *stmts, env=env(**kw))


def read_latest(coll):
    try:
        with open(os.path.join(coll, "LATEST")) as f:
            return f.read().strip()
    except FileNotFoundError:
        return None


def count_manifests(root):
    n = 0
    for _, _, files in os.walk(root):
        n += "BACKUP_MANIFEST" in files
    return n


class Scenario:
    def __init__(self, name, collection, stmt, old_subdir=None, expect_old=None, pw=""):
        self.name, self.collection, self.stmt = name, collection, stmt
        self.old_subdir, self.expect_old, self.pw = old_subdir, expect_old, pw


class CrashMatrixTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="cofre-crash-")
        cls.tpl = os.path.join(cls.root, "template")
        data = cls.tpl

        def ok(*stmts):
            r = run(data, *stmts)
            if r.rc != 0:
                raise AssertionError("template setup failed: %r" % r)

        ok("CREATE DATABASE shop", "USE shop",
           "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, payload BLOB)",
           "CREATE INDEX items_name ON items(name)",
           "CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER, w TEXT) WITHOUT ROWID",
           "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 4000) "
           "INSERT INTO items SELECT x, 'item-' || x, randomblob(100 + x % 100) FROM c",
           "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 2000) "
           "INSERT INTO kv SELECT printf('k%06d', x), x, hex(randomblob(40)) FROM c")
        shop = ft.catalog(data)["shop"]
        cls.states = [ft.dump_db(shop, TABLES)]  # S0
        ok("BACKUP INTO 'nodelocal://1/full'", "BACKUP INTO 'nodelocal://1/inc'",
           f"BACKUP INTO 'nodelocal://1/enc' WITH encryption_passphrase = '{PW}'")
        ok("USE shop", "UPDATE items SET name = name || '-u1' WHERE id % 11 = 0",
           "DELETE FROM kv WHERE v % 13 = 0",
           "INSERT INTO items (name, payload) SELECT 'new-' || id, randomblob(150) FROM items "
           "WHERE id <= 300")
        cls.states.append(ft.dump_db(shop, TABLES))  # S1
        ok("BACKUP INTO LATEST IN 'nodelocal://1/inc'",
           f"BACKUP INTO LATEST IN 'nodelocal://1/enc' WITH encryption_passphrase = '{PW}'")
        ok("USE shop", "UPDATE items SET payload = randomblob(180) WHERE id % 17 = 0",
           "DELETE FROM items WHERE id % 23 = 0", "UPDATE kv SET w = 'changed' WHERE v % 5 = 0")
        cls.states.append(ft.dump_db(shop, TABLES))  # S2: the current data
        ext = os.path.join(data, "extern")
        cls.latest = {c: read_latest(os.path.join(ext, c)) for c in ("full", "inc", "enc")}
        cls.coll_digest = ft.tree_digest(ext)
        cls.enc_digest = ft.tree_digest(os.path.join(ext, "enc"))
        cls.summary = []

    @classmethod
    def tearDownClass(cls):
        for line in cls.summary:
            print(line, file=sys.stderr)
        shutil.rmtree(cls.root, ignore_errors=True)

    def work_copy(self, collection=None):
        """A private copy of the template data directory, with only `collection` under extern/
        (all of them when None)."""
        work = tempfile.mkdtemp(dir=self.root)
        data = os.path.join(work, "data")
        others = {c for c in self.latest if c != collection} if collection else set()
        ext = os.path.join(self.tpl, "extern")

        def ignore(d, names):
            # The template's databases are complete files (every writer closed cleanly); a -wal
            # or -shm beside one belongs to a concurrent reader (another thread's check) and may
            # vanish mid-copy.
            return [n for n in names if (d == ext and n in others) or n.endswith(("-wal", "-shm"))]
        shutil.copytree(self.tpl, data, ignore=ignore)
        return work, data

    def fewest_bytes(self, collection, stmt, prefix_rel=None):
        """The fewest bytes of two runs of `stmt` on fresh copies (under `prefix_rel` when given).
        What a run writes varies by a few bytes or pages: progress records written on a clock,
        varints of times in the manifest. Points within the fewer are reached by most runs."""
        totals = []
        for _ in range(2):
            work, data = self.work_copy(collection)
            try:
                prefix = os.path.join(data, prefix_rel) if prefix_rel else None
                totals.append(ft.measure_bytes(data, stmt, prefix=prefix, extra={
                    "COFRE_BACKUP_TARGET_FILE_BYTES": TARGET_FILE_BYTES}))
            finally:
                shutil.rmtree(work, ignore_errors=True)
        return min(totals)

    def points(self, stmt, collection, prefix_rel=None):
        """(n, prefix) kill points: half over all bytes, half over the collection's bytes; and the
        points every run reaches: those a page or more before the fewest bytes a run wrote. The
        last few kilobytes vary from run to run (SQLite pages of progress records written on a
        clock, varints of times), so a run may complete before a point there."""
        total = self.fewest_bytes(collection, stmt)
        out = [(n, None) for n in ft.spread_points(total, POINTS // 2 if prefix_rel else POINTS)]
        sure = {p for p in out if p[0] <= total - 4096}
        if prefix_rel:
            coll_total = self.fewest_bytes(collection, stmt, prefix_rel)
            # The last bytes are LATEST's and the manifest's: hit their ends exactly.
            late = [coll_total - k for k in (1, 20, 30, 60, 200) if coll_total > k]
            pts = sorted(set(ft.spread_points(coll_total, POINTS - len(out) - len(late)) + late))
            out += [(n, prefix_rel) for n in pts]
            sure |= {(n, prefix_rel) for n in pts if n <= coll_total - 4096}
        return out, total, sure

    # --- backups ---------------------------------------------------------------------------

    def backup_point(self, sc, n, prefix_rel):
        """Kills `sc.stmt` after n bytes, then checks and reruns. Returns (problems, notes)."""
        work, data = self.work_copy(sc.collection)
        problems, notes = [], {}
        try:
            coll = os.path.join(data, "extern", sc.collection)
            uri = f"nodelocal://1/{sc.collection}"
            prefix = os.path.join(data, prefix_rel) if prefix_rel else None
            manifests_before = count_manifests(coll)
            r = run(data, sc.stmt, kill_after=n, prefix=prefix)
            notes["killed"] = r.killed
            if not r.killed and r.rc != 0:
                return [f"unkilled run failed: {r!r}"], notes
            # What is on storage now: LATEST names an earlier or a complete new backup.
            latest = read_latest(coll)
            new_manifests = count_manifests(coll) - manifests_before
            notes["committed"] = new_manifests > 0
            if new_manifests not in (0, 1):
                problems.append(f"{new_manifests} new manifests")
            if latest != self.latest[sc.collection]:
                if not (latest and os.path.exists(os.path.join(coll, latest.lstrip("/"),
                                                               "BACKUP_MANIFEST"))):
                    problems.append(f"LATEST names {latest!r}, which has no manifest")
            expect_old = sc.expect_old
            if sc.collection == "inc" and new_manifests == 1:
                expect_old = 2  # the chain's newest layer is now the (complete) new one
            pw = f", encryption_passphrase = '{PW}'" if sc.pw else ""
            v = run(data, "SHOW DATABASES", "SHOW JOBS", f"SHOW BACKUPS IN '{uri}'",
                    f"RESTORE DATABASE shop FROM '{sc.old_subdir}' IN '{uri}' "
                    f"WITH new_db_name = 'chk_old'{pw}",
                    sc.stmt,
                    f"RESTORE DATABASE shop FROM LATEST IN '{uri}' "
                    f"WITH new_db_name = 'chk_new'{pw}")
            if v.rc != 0:
                return problems + [f"checks/rerun after the kill failed: {v!r}"], notes
            res = v.results()
            dbs, jobs, listed = res[0], res[1], [b["path"] for b in res[2]]
            if {d["database_name"] for d in dbs} != {"defaultdb", "shop"}:
                problems.append(f"databases after the kill: {dbs}")
            killed_job = [j for j in jobs if j["job_type"] == "BACKUP"][0]
            if r.killed and killed_job["status"] not in ("failed", "succeeded"):
                problems.append(f"killed job is {killed_job['status']}")
            if any(j["status"] == "running" for j in jobs):
                problems.append("a job is still running")
            for p in listed:
                if not os.path.exists(os.path.join(coll, p.lstrip("/"), "BACKUP_MANIFEST")):
                    problems.append(f"SHOW BACKUPS lists {p}, which has no manifest")
            if self.latest[sc.collection] not in listed:
                problems.append(f"earlier backup missing from SHOW BACKUPS: {listed}")
            cat = ft.catalog(data)
            if ft.dump_db(cat["chk_old"], TABLES) != self.states[expect_old]:
                problems.append("the earlier backup restores different data")
            if ft.dump_db(cat["chk_new"], TABLES) != self.states[2]:
                problems.append("the rerun backup restores different data")
            unfinished, temps, locks = (ft.unfinished_dirs(coll), ft.temp_files(coll),
                                        ft.lock_files(coll))
            notes["unfinished"] = len(unfinished)
            notes["temp_files"] = len(temps)
            if unfinished or temps or locks:
                problems.append(f"left after the rerun: unfinished {unfinished}, temp files "
                                f"{temps}, locks {locks}")
            return problems, notes
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def backup_matrix(self, sc):
        pts, total, sure = self.points(sc.stmt, sc.collection,
                                       prefix_rel=os.path.join("extern", sc.collection))
        results = ft.parallel(lambda p: self.backup_point(sc, *p), pts)
        killed = sum(n["killed"] for _, n in results)
        self.summary.append(
            f"crash matrix {sc.name}: {len(pts)} points over {total} bytes, {killed} killed, "
            f"{sum(n.get('committed', False) for _, n in results)} left a complete backup, "
            f"unfinished dirs left after rerun: max {max(n.get('unfinished', 0) for _, n in results)}"
            f", temp files left: max {max(n.get('temp_files', 0) for _, n in results)}")
        for (n, prefix), (problems, _) in zip(pts, results):
            with self.subTest(point=n, counted="collection" if prefix else "all files"):
                self.assertEqual(problems, [])
        self.assertGreaterEqual(len(pts), 20)
        # The matrix is not vacuous: every point every run reaches kills the process (a point
        # past a run's end lets it complete, and that run is checked above all the same).
        self.assertGreaterEqual(len(sure), len(pts) // 2)
        unkilled = [p for p, (_, n) in zip(pts, results) if p in sure and not n["killed"]]
        self.assertEqual(unkilled, [], "points every run reaches must kill the process")

    def test_full_backup(self):
        self.backup_matrix(Scenario("full backup", "full", "BACKUP INTO 'nodelocal://1/full'",
                                    old_subdir=self.latest["full"], expect_old=0))

    def test_incremental_backup(self):
        self.backup_matrix(Scenario("incremental backup", "inc",
                                    "BACKUP INTO LATEST IN 'nodelocal://1/inc'",
                                    old_subdir=self.latest["inc"], expect_old=1))

    def test_encrypted_full_backup(self):
        self.backup_matrix(Scenario(
            "encrypted full backup", "enc",
            f"BACKUP INTO 'nodelocal://1/enc' WITH encryption_passphrase = '{PW}'",
            old_subdir=self.latest["enc"], expect_old=1, pw=PW))

    # --- unfinished backups of others ------------------------------------------------------

    def test_unfinished_backups_of_others_are_kept(self):
        """Two data directories (A, B) back up into one file:// collection. One backup of B is
        paused (SIGSTOP) right after its BACKUP-LOCK appears, while running; another of B is then
        killed half-way. A's BACKUP, SHOW BACKUPS and RESTORE, and B's read-only statements leave
        both directories alone; B's next BACKUP removes the killed run's directory and leaves
        the running one. Once resumed, the paused backup completes."""
        work, data_a = self.work_copy("full")
        try:
            coll = os.path.join(work, "shared")
            uri = "file://" + coll
            data_b = os.path.join(work, "b")
            backup = f"BACKUP INTO '{uri}'"
            r = run(data_b, "CREATE TABLE t (a INTEGER PRIMARY KEY, b BLOB)",
                    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 6000) "
                    "INSERT INTO t SELECT x, randomblob(2000) FROM c", backup)
            self.assertEqual(r.rc, 0, r)
            self.assertEqual(run(data_a, backup).rc, 0)
            total = ft.measure_bytes(data_b, backup, prefix=coll,
                                     extra={"COFRE_BACKUP_TARGET_FILE_BYTES": TARGET_FILE_BYTES})

            paused = ft.start_cofre(data_b, backup, env=env())
            paused_dir = ft.wait_for_lock(coll, proc=paused)
            os.kill(paused.pid, signal.SIGSTOP)
            try:
                r = run(data_b, backup, kill_after=total // 2, prefix=coll)
                self.assertTrue(r.killed, r)
                killed = [d for d in ft.unfinished_dirs(coll)
                          if os.path.join(coll, d) != paused_dir]
                self.assertEqual(len(killed), 1, killed)
                killed_dir = os.path.join(coll, killed[0])
                killed_digest = ft.tree_digest(killed_dir)
                paused_digest = ft.tree_digest(paused_dir)
                for data in (data_a, data_b):
                    v = run(data, f"SHOW BACKUPS IN '{uri}'",
                            f"RESTORE DATABASE defaultdb FROM LATEST IN '{uri}' "
                            f"WITH new_db_name = 'chk'", "DROP DATABASE chk CASCADE")
                    self.assertEqual(v.rc, 0, v)
                    if data == data_a:
                        self.assertEqual(run(data, backup).rc, 0)
                    self.assertEqual(ft.tree_digest(killed_dir), killed_digest)
                    self.assertEqual(ft.tree_digest(paused_dir), paused_digest)
                # B's next BACKUP, while B's paused one still runs: the killed one's directory
                # goes, the running one's stays.
                self.assertEqual(run(data_b, backup).rc, 0)
                self.assertFalse(os.path.exists(killed_dir), "B's next backup kept its dead one")
                self.assertEqual(ft.tree_digest(paused_dir), paused_digest)
            finally:
                os.kill(paused.pid, signal.SIGCONT)
            _, err = paused.communicate(timeout=300)
            self.assertEqual(paused.returncode, 0, err)
            self.assertTrue(os.path.exists(os.path.join(paused_dir, "BACKUP_MANIFEST")))
            self.assertEqual(ft.unfinished_dirs(coll), [])
            self.assertEqual(ft.temp_files(coll), [])
            self.assertEqual(ft.lock_files(coll), [])
        finally:
            shutil.rmtree(work, ignore_errors=True)

    # --- restores --------------------------------------------------------------------------

    def restore_point(self, stmt, n, expected, fresh):
        """Kills a restore after n bytes; checks the data directory; reruns."""
        if fresh:
            work = tempfile.mkdtemp(dir=self.root)
            data = None
        else:
            work, data = self.work_copy("enc")
        problems, notes = [], {}
        try:
            target = os.path.join(work, "fresh") if fresh else data
            r = run(target, stmt, kill_after=n)
            notes["killed"] = r.killed
            if not r.killed and r.rc != 0:
                return [f"unkilled run failed: {r!r}"], notes
            v = run(target, "SHOW DATABASES", "SHOW JOBS")
            if v.rc != 0:
                return [f"the data directory does not open after the kill: {v!r}"], notes
            dbs, jobs = v.results()[:2]
            names = {d["database_name"] for d in dbs}
            restored = "shop" if fresh else "r"
            base = {"defaultdb"} if fresh else {"defaultdb", "shop"}
            if names not in (base, base | {restored}):
                problems.append(f"databases after the kill: {sorted(names)}")
            if any(j["status"] == "running" for j in jobs):
                problems.append("a job is still running")
            orphans = ft.orphan_database_files(target)
            if orphans:
                problems.append(f"unpublished files left in databases/: {orphans}")
            notes["published"] = restored in names
            if restored in names:
                # Visible means complete.
                if ft.dump_db(ft.catalog(target)[restored], TABLES) != expected:
                    problems.append("a database visible after the kill differs from the backup")
            else:
                rr = run(target, stmt)
                if rr.rc != 0:
                    return problems + [f"rerun failed: {rr!r}"], notes
                if ft.dump_db(ft.catalog(target)[restored], TABLES) != expected:
                    problems.append("the rerun restored different data")
                if ft.orphan_database_files(target):
                    problems.append("files left in databases/ after the rerun")
            if not fresh and (ft.tree_digest(os.path.join(data, "extern", "enc"))
                              != self.enc_digest):
                problems.append("the restore changed the backup collection")
            return problems, notes
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def restore_matrix(self, name, stmt, expected, fresh, n_points):
        work, data = self.work_copy("enc")
        try:
            target = os.path.join(work, "fresh") if fresh else data
            total = ft.measure_bytes(target, stmt)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        pts = ft.spread_points(total, n_points)

        results = ft.parallel(lambda n: self.restore_point(stmt, n, expected, fresh), pts)
        killed = sum(n["killed"] for _, n in results)
        self.summary.append(
            f"crash matrix {name}: {len(pts)} points over {total} bytes, {killed} killed, "
            f"{sum(n.get('published', False) for _, n in results)} published before the kill")
        for n, (problems, _) in zip(pts, results):
            with self.subTest(point=n):
                self.assertEqual(problems, [])
        self.assertGreaterEqual(killed, len(pts) - 3, "most points must actually kill the process")
        return pts

    def test_restore_database_from_encrypted_chain(self):
        pts = self.restore_matrix(
            "restore database (encrypted full + incremental)",
            f"RESTORE DATABASE shop FROM LATEST IN 'nodelocal://1/enc' "
            f"WITH encryption_passphrase = '{PW}', new_db_name = 'r'",
            self.states[1], fresh=False, n_points=POINTS)
        self.assertGreaterEqual(len(pts), 20)

    def test_cluster_restore_into_new_data_dir(self):
        # The fresh directory is created by the killed run itself (first-use initialisation is
        # among the points); the collection is the template's, read through file://.
        uri = "file://" + os.path.join(self.tpl, "extern", "full")
        self.restore_matrix("full-cluster restore into a new data directory",
                            f"RESTORE FROM LATEST IN '{uri}'", self.states[0], fresh=True,
                            n_points=max(10, POINTS // 2))
        self.assertEqual(ft.tree_digest(os.path.join(self.tpl, "extern")), self.coll_digest)


if __name__ == "__main__":
    unittest.main(verbosity=2)
