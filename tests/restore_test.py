"""End-to-end tests of the restore pipeline (files read on a background thread while SQLite
inserts): many tables and databases restore exactly, and a restore that fails midway - a corrupt
file after others were already applied - publishes nothing and leaves no staging file."""
import os
import sqlite3
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from cofre_testlib import CofreTestCase, schema_of, table_dump  # noqa: E402

TABLES = {
    "plain": "CREATE TABLE plain (id INTEGER PRIMARY KEY, a TEXT, b REAL, c BLOB)",
    "auto": "CREATE TABLE auto (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT NOT NULL)",
    "norowid": "CREATE TABLE norowid (k1 TEXT, k2 INT, v, PRIMARY KEY (k1, k2)) WITHOUT ROWID",
    "wide": "CREATE TABLE wide (x INT, y TEXT, z BLOB)",
}


def fill(test, db, n):
    """Fills the TABLES of `db` with n rows each (values of every type, large blobs, NULLs)."""
    rows = f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < {n}) "
    test.ok(*[sql.replace("CREATE TABLE ", f"CREATE TABLE {db}.") for sql in TABLES.values()],
            f"CREATE INDEX {db}.plain_a ON plain(a)",
            f"CREATE UNIQUE INDEX {db}.auto_v ON auto(v)",
            f"CREATE INDEX {db}.wide_y ON wide(y) WHERE x % 2 = 0",
            rows + f"INSERT INTO {db}.plain SELECT x * 3, hex(randomblob(x % 50)), x / 7.0, "
            "CASE WHEN x % 97 = 0 THEN randomblob(70000) WHEN x % 5 = 0 THEN NULL "
            "ELSE randomblob(x % 30) END FROM c",
            rows + f"INSERT INTO {db}.auto(v) SELECT 'v' || x || '-' || hex(randomblob(8)) FROM c",
            f"DELETE FROM {db}.auto WHERE id > {n - 5}",
            rows + f"INSERT INTO {db}.norowid SELECT 'k' || (x % 17), x, "
            "CASE x % 3 WHEN 0 THEN x WHEN 1 THEN 'text' || x ELSE x * 0.5 END FROM c",
            rows + f"INSERT INTO {db}.wide SELECT x, printf('%.*c', x % 300, 'w'), zeroblob(x % 3) "
            "FROM c")


class RestorePipelineTest(CofreTestCase):
    def setUp(self):
        super().setUp()
        self.coll = f"file://{self.tmp}/c"

    def assert_same_tables(self, src, dst, tables):
        for t in tables:
            self.assertEqual(table_dump(src, t), table_dump(dst, t), t)

    def test_many_tables_and_databases_restore_exactly(self):
        self.ok("CREATE DATABASE one", "CREATE DATABASE two")
        fill(self, "one", 3000)
        fill(self, "two", 1200)
        self.ok(f"BACKUP INTO '{self.coll}' WITH encryption_passphrase = 'pw'")
        other = os.path.join(self.tmp, "other")
        self.ok(f"RESTORE FROM LATEST IN '{self.coll}' WITH encryption_passphrase = 'pw'",
                data=other)
        for db in ("one", "two"):
            src, dst = self.db_path(db), self.db_path(db, data=other)
            self.assertEqual(schema_of(src), schema_of(dst))
            self.assert_same_tables(src, dst, list(TABLES) + ["sqlite_sequence"])
            con = sqlite3.connect(dst)
            self.assertEqual(con.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
            con.close()
        # Several tables of one database into another existing database, in one statement.
        self.ok("CREATE DATABASE three",
                f"RESTORE TABLE one.norowid, one.plain, one.auto FROM LATEST IN '{self.coll}' "
                "WITH into_db = 'three', encryption_passphrase = 'pw'")
        self.assert_same_tables(self.db_path("one"), self.db_path("three"),
                                ["norowid", "plain", "auto"])
        self.assertEqual(self.rows("SELECT name FROM three.sqlite_schema WHERE type = 'index' "
                                   "AND name NOT LIKE 'sqlite_%' ORDER BY name"),
                         [{"name": "auto_v"}, {"name": "plain_a"}])

    def corrupt_last_file_of(self, prefix):
        """Flips a byte in the middle of the last data file whose span starts with `prefix`."""
        files = self.rows(f"SHOW BACKUP FILES FROM LATEST IN '{self.coll}' "
                          "WITH encryption_passphrase = 'pw'")
        mine = [f for f in files if f["start_pretty"].startswith(prefix)]
        self.assertTrue(mine, files)
        path = os.path.join(self.tmp, "c", mine[-1]["path"].lstrip("/"))
        with open(path, "r+b") as f:
            f.seek(mine[-1]["file_bytes"] // 2)
            b = f.read(1)
            f.seek(mine[-1]["file_bytes"] // 2)
            f.write(bytes([b[0] ^ 0x01]))
        return mine[-1]["path"]

    def test_failure_midway_publishes_nothing(self):
        self.ok("CREATE DATABASE one", "CREATE DATABASE two")
        fill(self, "one", 2000)
        fill(self, "two", 2000)
        self.ok(f"BACKUP INTO '{self.coll}' WITH encryption_passphrase = 'pw'")
        # The last table of the last database: everything before it was already applied.
        bad = self.corrupt_last_file_of("/two/wide")
        other = os.path.join(self.tmp, "other")
        self.fails(f"RESTORE FROM LATEST IN '{self.coll}' WITH encryption_passphrase = 'pw'",
                   data=other, contains=bad.lstrip("/"))
        names = sorted(d["database_name"] for d in self.rows("SHOW DATABASES", data=other))
        self.assertEqual(names, ["defaultdb"])
        self.assertEqual(self.rows("SELECT count(*) AS n FROM sqlite_schema", data=other),
                         [{"n": 0}])
        self.assertEqual([f for f in os.listdir(os.path.join(other, "databases"))
                          if f.startswith(".staging")], [])
        # Restoring the databases one by one: the intact one restores, the other fails alone.
        self.ok(f"RESTORE DATABASE one FROM LATEST IN '{self.coll}' "
                "WITH new_db_name = 'r1', encryption_passphrase = 'pw'")
        self.assert_same_tables(self.db_path("one"), self.db_path("r1"), list(TABLES))
        self.fails(f"RESTORE DATABASE two FROM LATEST IN '{self.coll}' "
                   "WITH new_db_name = 'r2', encryption_passphrase = 'pw'", contains=bad.lstrip("/"))
        self.assertNotIn("r2", [d["database_name"] for d in self.rows("SHOW DATABASES")])
        # A table restore whose last table is corrupt rolls back the tables applied before it.
        self.ok("CREATE DATABASE three", "CREATE TABLE three.keep (x)",
                "INSERT INTO three.keep VALUES (1)")
        self.fails(f"RESTORE TABLE two.plain, two.wide FROM LATEST IN '{self.coll}' "
                   "WITH into_db = 'three', encryption_passphrase = 'pw'", contains=bad.lstrip("/"))
        self.assertEqual(self.rows("SELECT name FROM three.sqlite_schema ORDER BY name"),
                         [{"name": "keep"}])
        self.assertEqual(self.rows("SELECT x FROM three.keep"), [{"x": 1}])


if __name__ == "__main__":
    unittest.main(verbosity=2)
