"""Fault matrices of the built binary:

- Full disk (nodelocal): every write to the backup collection fails with ENOSPC from byte N on
  (tests/tools/write_fault.c, preloaded), at many N over a BACKUP; and the data directory's
  databases/ fills up at many N over a RESTORE. Each statement fails with a clear "disk full"
  error, commits nothing (LATEST and SHOW BACKUPS unchanged, no database published, no temp or
  staging file left), gives the space back (a failed BACKUP removes what it wrote: the
  collection is byte for byte what it was) and the same statement succeeds once space is
  "freed".
- S3 faults (tests/tools/fault_proxy.py in front of moto_server): 5xx, throttling (503
  SlowDown), connection resets, truncated bodies, slow answers and failing GETs / LISTs at every
  n-th request, for BACKUP (full and incremental), RESTORE, SHOW BACKUP and SHOW BACKUPS. Each
  statement either succeeds after retries (and then restores exactly / answers exactly as without
  faults) or fails with a clear error; LATEST and every earlier backup stay intact, and nothing
  half-written is listed or restored. Skipped when the moto servers' env is absent."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.parse
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(__file__))
import fault_testlib as ft  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TABLES = ["items", "kv"]
PW = "fault-matrix-passphrase"
TARGET = {"COFRE_BACKUP_TARGET_FILE_BYTES": "16384"}
S3_ENDPOINT = os.environ.get("COFRE_TEST_S3_ENDPOINT", "")
S3_ID = "AKIACOFREFAULTTEST"
S3_SECRET = "cofre-fault-SECRET-must-not-leak-5c1d"


def env(**kw):
    return ft.shim_env(extra=TARGET, **kw)


def run(data, *stmts, **kw):
    return ft.cofre(data, *stmts, env=env(**kw))


def run_s3(data, *stmts):
    # Fewer, larger files on S3: every request costs a round trip through the proxy.
    return ft.cofre(data, *stmts, env=ft.shim_env(extra={"COFRE_BACKUP_TARGET_FILE_BYTES":
                                                         "65536"}))


def load(data, rows):
    return run(data, "USE defaultdb",
               "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, payload BLOB)",
               "CREATE INDEX items_name ON items(name)",
               "CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID",
               "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < %d) "
               "INSERT INTO items SELECT x, 'item-' || x, randomblob(100 + x %% 50) FROM c" % rows,
               "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < %d) "
               "INSERT INTO kv SELECT printf('k%%06d', x), x FROM c" % (rows // 2))


def mutate(data, step):
    return run(data, "USE defaultdb",
               f"UPDATE items SET name = name || '-m{step}' WHERE id % 7 = {step % 7}",
               f"DELETE FROM kv WHERE v % 11 = {step % 11}",
               f"INSERT INTO items (name, payload) VALUES ('added-{step}', randomblob(64))")


def read_latest(coll):
    try:
        with open(os.path.join(coll, "LATEST")) as f:
            return f.read().strip()
    except FileNotFoundError:
        return None


class FullDiskTest(unittest.TestCase):
    """ENOSPC from byte N of the writes into the backup collection or the databases/ directory."""

    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="cofre-enospc-")
        cls.tpl = os.path.join(cls.root, "template")
        assert load(cls.tpl, 3000).rc == 0
        r = run(cls.tpl, "BACKUP INTO 'nodelocal://1/b' WITH encryption_passphrase = '%s'" % PW)
        assert r.rc == 0, r
        cls.s0 = ft.dump_db(ft.catalog(cls.tpl)["defaultdb"], TABLES)
        assert mutate(cls.tpl, 1).rc == 0
        cls.s1 = ft.dump_db(ft.catalog(cls.tpl)["defaultdb"], TABLES)
        cls.coll_rel = os.path.join("extern", "b")
        cls.latest = read_latest(os.path.join(cls.tpl, cls.coll_rel))
        cls.coll_digest = ft.tree_digest(os.path.join(cls.tpl, cls.coll_rel))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)

    def copy(self):
        work = tempfile.mkdtemp(dir=self.root)
        data = os.path.join(work, "data")
        shutil.copytree(self.tpl, data)
        return data

    def assert_disk_full_error(self, r):
        self.assertEqual(r.rc, 1, r)
        self.assertIn("ERROR:", r.stderr, r)
        # nodelocal: "disk full while writing <object>: No space left on device; free space ...";
        # SQLite (restore): "database or disk is full" plus a HINT to free space.
        self.assertRegex(r.stderr, r"disk (is )?full", r)
        self.assertIn("free space", r.stderr, r)
        if "nodelocal" in r.stderr:
            self.assertIn("No space left on device", r.stderr, r)

    def backup_case(self, stmt, n):
        data = self.copy()
        coll = os.path.join(data, self.coll_rel)
        pw = f" WITH encryption_passphrase = '{PW}'"
        r = run(data, stmt + pw, enospc_after=n, prefix=coll + "/")
        notes = {"failed": r.rc != 0}
        if r.rc != 0:
            self.assert_disk_full_error(r)
            self.assertEqual(read_latest(coll), self.latest, "LATEST changed by a failed backup")
            self.assertEqual(ft.temp_files(coll), [], "temp files left by a failed backup")
            # The space comes back: what the failed backup wrote is gone.
            self.assertEqual(ft.unfinished_dirs(coll), [], "a failed backup left its directory")
            self.assertEqual(ft.tree_digest(coll), self.coll_digest,
                             "the collection differs from before the failed backup")
        v = run(data, "SHOW JOBS", "SHOW BACKUPS IN 'nodelocal://1/b'",
                f"SHOW BACKUP FROM LATEST IN 'nodelocal://1/b'{pw}",
                f"RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/b'{pw}, "
                "new_db_name = 'chk_old'")
        self.assertEqual(v.rc, 0, v)
        jobs, listed, layers = v.results()[:3]
        if r.rc != 0:
            self.assertEqual(jobs[0]["status"], "failed", jobs[0])
            self.assertIn("disk full", jobs[0]["error"])
            self.assertEqual([b["path"] for b in listed], [self.latest],
                             "a failed backup is listed")
            self.assertEqual(len({x["end_time"] for x in layers}), 1, "a failed layer is listed")
            self.assertEqual(ft.dump_db(ft.catalog(data)["chk_old"], TABLES), self.s0)
        notes["unfinished_bytes"] = sum(
            os.path.getsize(os.path.join(d, f)) for u in ft.unfinished_dirs(coll)
            for d, _, fs in os.walk(os.path.join(coll, u)) for f in fs)
        # Space freed: the same statement succeeds and restores exactly.
        rr = run(data, stmt + pw, f"RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/b'"
                 f"{pw}, new_db_name = 'chk_new'")
        self.assertEqual(rr.rc, 0, rr)
        self.assertEqual(ft.dump_db(ft.catalog(data)["chk_new"], TABLES), self.s1)
        shutil.rmtree(os.path.dirname(data), ignore_errors=True)
        return notes

    def backup_matrix(self, stmt, n_points):
        data = self.copy()
        total = ft.measure_bytes(data, stmt + f" WITH encryption_passphrase = '{PW}'",
                                 prefix=os.path.join(data, self.coll_rel) + "/", extra=TARGET)
        shutil.rmtree(os.path.dirname(data), ignore_errors=True)
        pts = ft.spread_points(total, n_points, margin=512) + [0]
        notes = []
        for n in pts:
            with self.subTest(enospc_after=n):
                notes.append(self.backup_case(stmt, n))
        failed = sum(x["failed"] for x in notes)
        print(f"full disk, {stmt}: {len(pts)} points over {total} bytes, {failed} failed with "
              f"'disk full', unfinished bytes left: max "
              f"{max(x['unfinished_bytes'] for x in notes)}", file=sys.stderr)
        self.assertGreaterEqual(failed, len(pts) - 2)

    def test_backup_full(self):
        self.backup_matrix("BACKUP INTO 'nodelocal://1/b'", 12)

    def test_latest_cannot_be_written(self):
        # The manifest is written, then LATEST fails: the statement fails, and the new backup
        # must not be listed either (what failed is not committed).
        stmt = f"BACKUP INTO 'nodelocal://1/b' WITH encryption_passphrase = '{PW}'"
        for n in (0, 5):
            with self.subTest(enospc_after=n):
                data = self.copy()
                coll = os.path.join(data, self.coll_rel)
                r = run(data, stmt, enospc_after=n, prefix=os.path.join(coll, "LATEST"))
                self.assert_disk_full_error(r)
                self.assertIn("LATEST", r.stderr)
                self.assertEqual(read_latest(coll), self.latest)
                # The manifest and the data files written before LATEST failed are gone too.
                self.assertEqual(ft.tree_digest(coll), self.coll_digest)
                v = run(data, "SHOW BACKUPS IN 'nodelocal://1/b'", stmt)
                self.assertEqual(v.rc, 0, v)
                self.assertEqual(v.results()[0], [{"path": self.latest, "is_latest": True}])
                self.assertNotEqual(read_latest(coll), self.latest)
                shutil.rmtree(os.path.dirname(data), ignore_errors=True)

    def test_backup_incremental(self):
        self.backup_matrix("BACKUP INTO LATEST IN 'nodelocal://1/b'", 8)

    def test_restore_fills_data_directory(self):
        stmt = (f"RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/b' "
                f"WITH encryption_passphrase = '{PW}', new_db_name = 'r'")
        data = self.copy()
        total = ft.measure_bytes(data, stmt, prefix=os.path.join(data, "databases") + "/")
        shutil.rmtree(os.path.dirname(data), ignore_errors=True)
        pts = ft.spread_points(total, 10, margin=4096) + [0]
        succeeded = 0
        for n in pts:
            with self.subTest(enospc_after=n):
                data = self.copy()
                r = run(data, stmt, enospc_after=n, prefix=os.path.join(data, "databases") + "/")
                if r.rc == 0:
                    # The last bytes are a WAL checkpoint at close, whose failure SQLite
                    # tolerates (the WAL stays valid): then the restore is complete and exact.
                    self.assertGreater(n, total - 65536, r)
                    self.assertEqual(ft.dump_db(ft.catalog(data)["r"], TABLES), self.s0)
                    succeeded += 1
                    continue
                self.assert_disk_full_error(r)
                self.assertNotIn("r", ft.catalog(data))
                self.assertEqual(ft.orphan_database_files(data), [],
                                 "a failed restore left files in databases/")
                v = run(data, "SHOW DATABASES", "SHOW JOBS", stmt)
                self.assertEqual(v.rc, 0, v)
                dbs, jobs = v.results()[:2]
                self.assertEqual({d["database_name"] for d in dbs}, {"defaultdb"})
                self.assertEqual(jobs[0]["job_type"], "RESTORE")
                self.assertEqual(jobs[0]["status"], "failed")
                self.assertIn("full", jobs[0]["error"])
                self.assertEqual(ft.dump_db(ft.catalog(data)["r"], TABLES), self.s0)
                shutil.rmtree(os.path.dirname(data), ignore_errors=True)
        print(f"full disk, restore: {len(pts)} points over {total} bytes, "
              f"{len(pts) - succeeded} failed with 'disk full'", file=sys.stderr)
        self.assertGreaterEqual(len(pts) - succeeded, len(pts) - 3)


FaultProxy = ft.FaultProxy


# (name, proxy config, slow): faults at every n-th request; retried ones must be survivable.
FAULTS = [
    ("500 InternalError every 3rd request", "mode=status&status=500&code=InternalError&every=3"),
    ("503 SlowDown every 3rd request", "mode=status&status=503&code=SlowDown&every=3"),
    ("connection reset every 3rd request", "mode=reset&every=3"),
    ("body cut mid-way every 2nd GET", "mode=truncate&every=2&match=GET"),
    ("150 ms delay every 3rd request", "mode=delay&delay_ms=150&every=3"),
    ("GET fails (503) every 2nd", "mode=status&status=503&code=ServiceUnavailable&every=2"
                                  "&match=GET"),
    ("LIST fails (500) every 2nd", "mode=status&status=500&code=InternalError&every=2"
                                   "&match=list-type"),
]


@unittest.skipUnless(S3_ENDPOINT, "COFRE_TEST_S3_ENDPOINT is not set: run scripts/test-servers.sh "
                                  "start and source its env file (make test does)")
class S3FaultMatrixTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import boto3
        cls.root = tempfile.mkdtemp(prefix="cofre-s3fault-")
        cls.data = os.path.join(cls.root, "data")
        cls.proxy = FaultProxy(S3_ENDPOINT)
        cls.bucket = "cofre-fault-" + uuid.uuid4().hex[:10]
        cls.s3 = boto3.client("s3", endpoint_url=S3_ENDPOINT, region_name="us-east-1",
                              aws_access_key_id=S3_ID, aws_secret_access_key=S3_SECRET)
        cls.s3.create_bucket(Bucket=cls.bucket)
        assert load(cls.data, 1000).rc == 0

    @classmethod
    def tearDownClass(cls):
        cls.proxy.close()
        shutil.rmtree(cls.root, ignore_errors=True)

    def uri(self, prefix):
        return f"s3://{self.bucket}/{prefix}?" + urllib.parse.urlencode([
            ("AWS_ACCESS_KEY_ID", S3_ID), ("AWS_SECRET_ACCESS_KEY", S3_SECRET),
            ("AWS_REGION", "us-east-1"), ("AWS_ENDPOINT", self.proxy.endpoint),
            ("AWS_USE_PATH_STYLE", "true")])

    def latest(self, prefix):
        try:
            return self.s3.get_object(Bucket=self.bucket, Key=prefix + "/LATEST")["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return None

    def keys(self, prefix):
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                  Prefix=prefix + "/")
        return sorted(o["Key"] for p in pages for o in p.get("Contents", []))

    def current(self):
        return ft.dump_db(ft.catalog(self.data)["defaultdb"], TABLES)

    def restore_check(self, coll, expected, subdir="LATEST", as_of=None):
        """Restores (without faults) and compares; drops the restored copy again."""
        self.proxy.configure("mode=none")
        src = "LATEST" if subdir == "LATEST" else f"'{subdir}'"
        aost = f" AS OF SYSTEM TIME '{as_of}'" if as_of else ""
        r = run_s3(self.data, f"RESTORE DATABASE defaultdb FROM {src} IN '{self.uri(coll)}'{aost} "
                f"WITH encryption_passphrase = '{PW}', new_db_name = 'chk'")
        self.assertEqual(r.rc, 0, r)
        got = ft.dump_db(ft.catalog(self.data)["chk"], TABLES)
        run_s3(self.data, "DROP DATABASE chk CASCADE")
        return got == expected

    def assert_clear_error(self, r, what):
        self.assertEqual(r.rc, 1, f"{what}: {r!r}")
        self.assertIn("ERROR:", r.stderr)
        self.assertNotIn(S3_SECRET, r.stderr + r.stdout)
        low = r.stderr.lower()
        self.assertTrue(any(w in low for w in ("attempts", "s3", "unavailable", "503", "500",
                                               "slowdown", "internalerror", "reset", "connection")),
                        f"{what}: error does not say what failed: {r.stderr}")

    def test_matrix(self):
        pw = f"encryption_passphrase = '{PW}'"
        # One collection per fault: a full backup and an incremental taken without faults,
        # then every statement under the fault, then the invariants.
        outcomes = []
        for i, (name, config) in enumerate(FAULTS):
            with self.subTest(fault=name):
                coll = f"c{i}"
                expect = {}  # full subdir -> data of its newest layer
                self.proxy.configure("mode=none")
                self.assertEqual(mutate(self.data, 10 * i).rc, 0)
                r = run_s3(self.data, f"BACKUP INTO '{self.uri(coll)}' WITH {pw}")
                self.assertEqual(r.rc, 0, r)
                s_full = self.current()
                self.assertEqual(mutate(self.data, 10 * i + 1).rc, 0)
                r = run_s3(self.data, f"BACKUP INTO LATEST IN '{self.uri(coll)}' WITH {pw}")
                self.assertEqual(r.rc, 0, r)
                s_inc = self.current()
                base = run_s3(self.data, f"SHOW BACKUPS IN '{self.uri(coll)}'",
                           f"SHOW BACKUP FROM LATEST IN '{self.uri(coll)}' WITH {pw}").results()
                first_subdir = base[0][0]["path"]
                expect[first_subdir] = s_inc

                def under_fault(*stmts):
                    self.proxy.configure(config)
                    r = run_s3(self.data, *stmts)
                    stats = self.proxy.stats()
                    self.proxy.configure("mode=none")
                    return r, stats

                row = {"fault": name}
                # SHOW BACKUPS and SHOW BACKUP: the same answer as without faults, or an error.
                r, st = under_fault(f"SHOW BACKUPS IN '{self.uri(coll)}'",
                                    f"SHOW BACKUP FROM LATEST IN '{self.uri(coll)}' WITH {pw}, "
                                    "check_files")
                if r.rc == 0:
                    self.assertEqual(r.results(), base, "SHOW under faults answered differently")
                    self.assertIn("NOTICE: check_files: all", r.stderr)
                else:
                    self.assert_clear_error(r, "SHOW BACKUP")
                row["show"] = ("ok" if r.rc == 0 else "error", st["faults"])
                # RESTORE: exact, or an error and no database.
                r, st = under_fault(f"RESTORE DATABASE defaultdb FROM LATEST IN '{self.uri(coll)}' "
                                    f"WITH {pw}, new_db_name = 'fr'")
                if r.rc == 0:
                    self.assertEqual(ft.dump_db(ft.catalog(self.data)["fr"], TABLES), s_inc)
                    run_s3(self.data, "DROP DATABASE fr CASCADE")
                else:
                    self.assert_clear_error(r, "RESTORE")
                    self.assertNotIn("fr", ft.catalog(self.data))
                self.assertEqual(ft.orphan_database_files(self.data), [])
                row["restore"] = ("ok" if r.rc == 0 else "error", st["faults"])
                # Verify (RESTORE ... WITH schema_only, verify_backup_table_data): passes, or
                # fails with a clear error; it never creates a database.
                r, st = under_fault(f"RESTORE DATABASE defaultdb FROM LATEST IN '{self.uri(coll)}' "
                                    f"WITH {pw}, schema_only, verify_backup_table_data")
                if r.rc == 0:
                    self.assertIn("NOTICE: verified backup", r.stderr)
                else:
                    self.assert_clear_error(r, "verify")
                self.assertEqual(ft.orphan_database_files(self.data), [])
                row["verify"] = ("ok" if r.rc == 0 else "error", st["faults"])
                # Incremental under the fault.
                self.assertEqual(mutate(self.data, 10 * i + 2).rc, 0)
                latest_before = self.latest(coll)
                r, st = under_fault(f"BACKUP INTO LATEST IN '{self.uri(coll)}' WITH {pw}")
                if r.rc == 0:
                    expect[first_subdir] = self.current()
                else:
                    self.assert_clear_error(r, "incremental BACKUP")
                self.assertEqual(self.latest(coll), latest_before)
                row["incremental"] = ("ok" if r.rc == 0 else "error", st["faults"])
                # Full backup under the fault.
                self.assertEqual(mutate(self.data, 10 * i + 3).rc, 0)
                r, st = under_fault(f"BACKUP INTO '{self.uri(coll)}' WITH {pw}")
                if r.rc == 0:
                    self.assertNotEqual(self.latest(coll), latest_before)
                    expect[self.latest(coll).decode()] = self.current()
                else:
                    self.assert_clear_error(r, "full BACKUP")
                    self.assertEqual(self.latest(coll), latest_before, "LATEST moved on failure")
                row["full"] = ("ok" if r.rc == 0 else "error", st["faults"])
                # Invariants without faults: exactly the successful backups are listed, each
                # restores exactly; the first chain's full layer still restores as of its time.
                listed = run_s3(self.data, f"SHOW BACKUPS IN '{self.uri(coll)}'").results()[0]
                self.assertEqual(sorted(b["path"] for b in listed), sorted(expect))
                for subdir, data in expect.items():
                    self.assertTrue(self.restore_check(coll, data, subdir), subdir)
                full_end = min(x["end_time"] for x in base[1])
                self.assertTrue(self.restore_check(coll, s_full, first_subdir, as_of=full_end))
                # Every manifest-less directory holds no manifest-referenced state: nothing
                # listed above that boto3 cannot see.
                keys = self.keys(coll)
                for subdir in expect:
                    self.assertIn(coll + subdir + "/BACKUP_MANIFEST", keys)
                outcomes.append(row)
        for row in outcomes:
            print("s3 fault matrix: " + json.dumps(row), file=sys.stderr)

    def test_restore_sends_no_head(self):
        """A restore reads every file with GETs alone (issue 19): the data files with the sizes
        the manifests give, the small files and manifests whole. The manifests are fetched while
        the key is unlocked; a missing backup and a wrong passphrase still say so."""
        pw = f"encryption_passphrase = '{PW}'"
        coll = "nohead"
        self.proxy.configure("mode=none")
        self.assertEqual(run_s3(self.data, f"BACKUP INTO '{self.uri(coll)}' WITH {pw}").rc, 0)
        self.assertEqual(mutate(self.data, 7).rc, 0)
        self.assertEqual(run_s3(self.data, f"BACKUP INTO LATEST IN '{self.uri(coll)}' WITH {pw}").rc,
                         0)
        expected = self.current()
        self.proxy.configure("mode=delay&delay_ms=0&match=HEAD%20")  # counts the HEADs
        r = run_s3(self.data, f"RESTORE DATABASE defaultdb FROM LATEST IN '{self.uri(coll)}' "
                   f"WITH {pw}, new_db_name = 'nohead'")
        heads = self.proxy.stats()["requests"]
        self.proxy.configure("mode=none")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(heads, 0, "the restore sent HEAD requests")
        self.assertEqual(ft.dump_db(ft.catalog(self.data)["nohead"], TABLES), expected)
        run_s3(self.data, "DROP DATABASE nohead CASCADE")
        r = run_s3(self.data, f"RESTORE DATABASE defaultdb FROM '/2020/01/01-000000.00' IN "
                   f"'{self.uri(coll)}' WITH {pw}, new_db_name = 'gone'")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("backup /2020/01/01-000000.00 not found in", r.stderr)
        self.assertIn("no BACKUP_MANIFEST", r.stderr)
        r = run_s3(self.data, f"RESTORE DATABASE defaultdb FROM LATEST IN '{self.uri(coll)}' "
                   "WITH encryption_passphrase = 'not the passphrase', new_db_name = 'wrong'")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("passphrase is wrong", r.stderr)
        self.assertNotIn("gone", ft.catalog(self.data))
        self.assertNotIn("wrong", ft.catalog(self.data))

    def test_persistent_faults_fail_clearly(self):
        pw = f"encryption_passphrase = '{PW}'"
        coll = "persistent"
        self.proxy.configure("mode=none")
        r = run_s3(self.data, f"BACKUP INTO '{self.uri(coll)}' WITH {pw}")
        self.assertEqual(r.rc, 0, r)
        expected = self.current()
        latest = self.latest(coll)
        keys = self.keys(coll)
        # Every PUT throttled: the backup gives up after its retries, naming the cause.
        self.assertEqual(mutate(self.data, 99).rc, 0)
        self.proxy.configure("mode=status&status=503&code=SlowDown&first=100000&match=PUT")
        r = run_s3(self.data, f"BACKUP INTO '{self.uri(coll)}' WITH {pw}")
        self.proxy.configure("mode=none")
        self.assert_clear_error(r, "BACKUP with every PUT throttled")
        self.assertIn("SlowDown", r.stderr)
        self.assertEqual(self.latest(coll), latest)
        self.assertEqual(self.keys(coll), keys, "a throttled backup wrote objects")
        # Every GET reset: RESTORE fails clearly, creates nothing.
        self.proxy.configure("mode=reset&first=100000&match=GET")
        r = run_s3(self.data, f"RESTORE DATABASE defaultdb FROM LATEST IN '{self.uri(coll)}' "
                f"WITH {pw}, new_db_name = 'pr'")
        self.proxy.configure("mode=none")
        self.assert_clear_error(r, "RESTORE with every GET reset")
        self.assertNotIn("pr", ft.catalog(self.data))
        # Access denied is not retried: it fails at once and says so.
        self.proxy.configure("mode=status&status=403&code=AccessDenied&first=100000")
        r = run_s3(self.data, f"SHOW BACKUPS IN '{self.uri(coll)}'")
        stats = self.proxy.stats()
        self.proxy.configure("mode=none")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("AccessDenied", r.stderr + " (" + str(stats) + ")")
        self.assertLessEqual(stats["faults"], 2, "a 403 was retried")
        self.assertTrue(self.restore_check(coll, expected))


if __name__ == "__main__":
    unittest.main(verbosity=2)
