"""Verifying a backup without restoring it (issue 13 §5):
SHOW BACKUP ... WITH check_files (every data file present with its recorded size) and
RESTORE ... WITH schema_only, verify_backup_table_data (every byte of every layer read,
authenticated, decompressed, decoded and checked against the manifest; no database written).
The tamper matrices (tests/chain_tamper_test.py, tests/encryption_test.py TamperMatrixTest,
tests/fault_test.py) also assert that a verify finds every case a restore finds."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from cofre_testlib import CofreTestCase  # noqa: E402

URI = "'nodelocal://1/v'"
PW = "verify-pw"
VERIFY = "schema_only, verify_backup_table_data"


def flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x01]))


class VerifyTest(CofreTestCase):
    def setUp(self):
        super().setUp()
        os.environ["COFRE_BACKUP_TARGET_FILE_BYTES"] = "16384"
        self.addCleanup(os.environ.pop, "COFRE_BACKUP_TARGET_FILE_BYTES", None)

    def build(self, opt=""):
        w = f" WITH {opt}" if opt else ""
        self.ok("CREATE DATABASE shop",
                "CREATE TABLE shop.t (id INTEGER PRIMARY KEY, v TEXT, b BLOB)",
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 4000) "
                "INSERT INTO shop.t SELECT x, 'v' || x, randomblob(30) FROM c",
                # Keys a byte order does not sort: 'B' < 'a' in bytes, not under NOCASE.
                "CREATE TABLE shop.names (k TEXT PRIMARY KEY COLLATE NOCASE, n INT) WITHOUT ROWID",
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 1500) "
                "INSERT INTO shop.names SELECT CASE x % 2 WHEN 0 THEN 'a' ELSE 'B' END || x, x "
                "FROM c",
                "CREATE INDEX shop.t_v ON t(v)",
                f"BACKUP DATABASE shop INTO {URI}{w}",
                "UPDATE shop.t SET v = 'new' WHERE id % 5 = 0", "DELETE FROM shop.t WHERE id % 7 = 0",
                "DELETE FROM shop.names WHERE n % 3 = 0",
                f"BACKUP DATABASE shop INTO LATEST IN {URI}{w}")

    def files(self, table_hint=None):
        root = os.path.join(self.data, "extern", "v")
        out = []
        for d, _, fs in os.walk(root):
            out += [os.path.join(d, f) for f in fs if f.endswith(".cfd")]
        return sorted(out)

    def rel(self, path):
        return os.path.relpath(path, os.path.join(self.data, "extern", "v"))

    def verify(self, opts="", target="DATABASE shop"):
        w = ", ".join(o for o in (opts, VERIFY) if o)
        return f"RESTORE {target} FROM LATEST IN {URI} WITH {w}"

    def check_healthy(self, opts):
        dbs = {r["database_name"] for r in self.rows("SHOW DATABASES")}
        # The database exists: a verify needs no new_db_name and writes nothing.
        r = self.ok(self.verify(opts))
        self.assertRegex(r.stderr, r"NOTICE: verified backup /\S+ in 'nodelocal://1/v', layer 1 "
                                   r"\(incremental\).*: \d+ data files, \d+ rows; no problems found")
        self.assertEqual({r["database_name"] for r in self.rows("SHOW DATABASES")}, dbs)
        job = self.rows("SHOW JOBS")[0]
        self.assertEqual(job["job_type"], "RESTORE")
        self.assertEqual(job["status"], "succeeded")
        self.assertTrue(job["running_status"].startswith("verified backup /"), job)
        self.assertIn("verify_backup_table_data", job["description"])
        # Cluster and table targets too.
        self.ok(self.verify(opts, target="TABLE shop.names"))
        show = f"SHOW BACKUP FROM LATEST IN {URI} WITH " + ", ".join(o for o in (opts, "check_files") if o)
        r = self.ok(show)
        self.assertRegex(r.stderr, r"NOTICE: check_files: all \d+ data files of backup /\S+ are "
                                   r"present with their recorded sizes")

    def test_healthy_chain_encrypted(self):
        self.build(f"encryption_passphrase = '{PW}'")
        self.check_healthy(f"encryption_passphrase = '{PW}'")

    def test_healthy_chain_unencrypted(self):
        self.build()
        self.check_healthy("")

    def test_damage_is_found_naming_file_and_table(self):
        opts = f"encryption_passphrase = '{PW}'"
        self.build(opts)
        files = self.files()
        self.assertGreater(len(files), 6)
        show = f"SHOW BACKUP FROM LATEST IN {URI} WITH {opts}, check_files"
        # A flipped byte keeps the size: check_files passes, verify and restore find it.
        flip(files[1], os.path.getsize(files[1]) // 2)
        self.ok(show)
        r = self.fails(self.verify(opts), contains=[self.rel(files[1]), "table shop."])
        self.fails(f"RESTORE DATABASE shop FROM LATEST IN {URI} WITH {opts}, new_db_name = 'r'",
                   contains=self.rel(files[1]))
        # Every problem is listed, not only the first; a missing file is named by check_files.
        os.remove(files[-1])
        with open(files[-2], "ab") as f:
            f.write(b"x")
        r = self.fails(self.verify(opts), contains=[self.rel(files[1]), self.rel(files[-1]),
                                                    self.rel(files[-2]), "3 problems"])
        r = self.fails(show, contains=[self.rel(files[-1]), "missing", self.rel(files[-2]),
                                       "bytes; the manifest says", "2 missing or damaged files"])
        self.assertRegex(r.stderr, r"\(table shop\.\w+, layer \d\)")
        self.assertNotIn("r", {r["database_name"] for r in self.rows("SHOW DATABASES")})

    def test_every_damaged_file_of_a_span_is_named(self):
        """The layers of one key range are merged as they are read; when two of their files are
        damaged, a verify names both, not only the first the merge meets."""
        self.build()
        spans = {}
        for f in self.rows(f"SHOW BACKUP FILES FROM LATEST IN {URI}"):
            if f["start_pretty"].startswith("/shop/t"):
                spans.setdefault((f["start_pretty"], f["end_pretty"]), []).append(f["path"])
        layered = [paths for paths in spans.values() if len(paths) == 2]
        self.assertTrue(layered, spans)
        full, incremental = (os.path.join(self.data, "extern", "v", p) for p in layered[0])
        with open(full, "ab") as f:
            f.write(b"x")
        os.remove(incremental)
        self.fails(self.verify(), contains=[self.rel(full), self.rel(incremental), "2 problems",
                                            "wrong size", "table shop.t"])

    def test_collated_keys_are_read_file_by_file(self):
        """A WITHOUT ROWID key under NOCASE is not in byte order: its spans are checked file by
        file (as a restore through SQLite reads them), and damage there is still found."""
        self.build()
        self.ok(self.verify(target="TABLE shop.names"))
        files = [f["path"] for f in self.rows(f"SHOW BACKUP FILES FROM LATEST IN {URI}")
                 if f["start_pretty"].startswith("/shop/names")]
        self.assertTrue(files)
        path = os.path.join(self.data, "extern", "v", files[-1])
        with open(path, "ab") as f:
            f.write(b"x")
        self.fails(self.verify(target="TABLE shop.names"), contains=[files[-1], "table shop.names"])
        # The other table is not read for a TABLE target.
        self.ok(self.verify(target="TABLE shop.t"))

    def test_schema_only_restores_the_schema_without_reading_data(self):
        self.build()
        self.ok("CREATE VIEW shop.v AS SELECT id FROM t WHERE id > 10")
        self.ok(f"BACKUP DATABASE shop INTO LATEST IN {URI}")
        for f in self.files():
            os.remove(f)  # no data file is read
        r = self.ok(f"RESTORE DATABASE shop FROM LATEST IN {URI} WITH schema_only, "
                    "new_db_name = 's'")
        self.assertIn("NOTICE: restored the schema (no rows) of backup /", r.stderr)
        from cofre_testlib import schema_of
        self.assertEqual(schema_of(self.db_path("s")), schema_of(self.db_path("shop")))
        self.assertEqual(self.rows("SELECT count(*) AS n FROM s.t"), [{"n": 0}])
        self.assertEqual(self.rows("SELECT count(*) AS n FROM s.names"), [{"n": 0}])
        # Tables into an existing database too.
        self.ok("CREATE DATABASE e")
        self.ok(f"RESTORE TABLE shop.t FROM LATEST IN {URI} WITH schema_only, into_db = 'e'")
        self.assertEqual(self.rows("SELECT name FROM e.sqlite_schema ORDER BY name"),
                         [{"name": "t"}, {"name": "t_v"}])
        # A verify of the same backup finds every missing file.
        self.fails(self.verify(), contains="missing")

    def test_options(self):
        self.build()
        self.fails(f"RESTORE DATABASE shop FROM LATEST IN {URI} WITH verify_backup_table_data",
                   contains="requires schema_only")
        self.fails(f"RESTORE DATABASE shop FROM LATEST IN {URI} WITH check_files",
                   contains="unknown RESTORE option")
        self.fails(f"SHOW BACKUP FROM LATEST IN {URI} WITH check_files = maybe",
                   contains="takes true or false")
        self.ok(f"SHOW BACKUP FROM LATEST IN {URI} WITH check_files = false")
        self.fails(self.verify(target="TABLE shop.nope"), contains="shop.nope is not in backup")


if __name__ == "__main__":
    unittest.main(verbosity=2)
