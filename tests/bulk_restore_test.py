"""End-to-end tests of RESTORE's direct page writing (src/backup/bulk_loader.*): tables and
indexes of every shape SQLite can hold restore exactly, whether cofre writes their b-tree pages
itself or leaves them to SQLite (COFRE_RESTORE_BULK=0), across incremental chains; the restored
files pass SQLite's integrity check, answer indexed queries like the source, and take writes."""
import os
import sqlite3
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from cofre_testlib import COFRE, CofreTestCase, schema_of, table_dump  # noqa: E402

SCHEMA = [
    # A rowid alias, indexes with every built-in collation, DESC, an index on the alias itself,
    # and a UNIQUE index on a column with NULLs.
    "CREATE TABLE alias (id INTEGER PRIMARY KEY, a TEXT COLLATE NOCASE, b REAL, c BLOB, d, "
    "e TEXT UNIQUE)",
    "CREATE INDEX alias_a ON alias (a)",
    "CREATE INDEX alias_b_desc ON alias (b DESC, a COLLATE BINARY)",
    "CREATE INDEX alias_d_rtrim ON alias (d COLLATE RTRIM)",
    "CREATE INDEX alias_id_c ON alias (id, c)",
    # Not an alias (SQLite's DESC quirk): a separate rowid and a PRIMARY KEY index.
    "CREATE TABLE quirk (x INTEGER PRIMARY KEY DESC, y TEXT)",
    # A TEXT primary key and a UNIQUE constraint: two automatic indexes.
    "CREATE TABLE textpk (k TEXT PRIMARY KEY, v INTEGER UNIQUE, w)",
    # Implicit rowids, negative and extreme.
    "CREATE TABLE norowidalias (a INT, b TEXT)",
    "CREATE INDEX norowidalias_ab ON norowidalias (b, a)",
    # Indexes SQLite must build itself: an expression and a partial index.
    "CREATE TABLE exprs (id INTEGER PRIMARY KEY, s TEXT, n INT)",
    "CREATE INDEX exprs_lower ON exprs (lower(s))",
    "CREATE INDEX exprs_partial ON exprs (n) WHERE n > 10",
    "CREATE INDEX exprs_plain ON exprs (n, s)",
    # Tables loaded through SQLite: generated columns, WITHOUT ROWID.
    "CREATE TABLE gen (a INT, b INT GENERATED ALWAYS AS (a * 2) VIRTUAL, "
    "c INT AS (a + 1) STORED)",
    "CREATE INDEX gen_c ON gen (c)",
    "CREATE TABLE wr (k1 TEXT, k2 INT, v, PRIMARY KEY (k2, k1)) WITHOUT ROWID",
    "CREATE INDEX wr_v ON wr (v)",
    # AUTOINCREMENT, overflow pages, an empty table with an index.
    "CREATE TABLE auto (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT NOT NULL)",
    "CREATE TABLE big (id INTEGER PRIMARY KEY, payload BLOB, note TEXT)",
    "CREATE INDEX big_note ON big (note)",
    "CREATE TABLE empty (id INTEGER PRIMARY KEY, v TEXT)",
    "CREATE INDEX empty_v ON empty (v)",
    "CREATE VIEW alias_view AS SELECT id, a FROM alias WHERE b > 0",
    "CREATE TRIGGER auto_touch AFTER INSERT ON auto BEGIN UPDATE big SET note = 'touched' "
    "WHERE id = 1; END",
]
TABLES = ["alias", "quirk", "textpk", "norowidalias", "exprs", "gen", "wr", "auto", "big",
          "empty", "sqlite_sequence"]

SERIES = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {n}) "


def fill_statements(n):
    s = SERIES.format(n=n)
    return [
        s + "INSERT INTO alias SELECT x * 5, "
        "CASE x % 4 WHEN 0 THEN 'Ab' || (x % 50) WHEN 1 THEN 'aB' || (x % 50) WHEN 2 THEN NULL "
        "ELSE 'é' || x END, "
        "CASE x % 5 WHEN 0 THEN x WHEN 1 THEN -x / 3.0 WHEN 2 THEN 0.0 WHEN 3 THEN NULL "
        "ELSE 1e300 * x END, "
        "CASE WHEN x % 3 = 0 THEN NULL ELSE randomblob(x % 40) END, "
        "CASE x % 6 WHEN 0 THEN 'pad  ' WHEN 1 THEN 'pad' WHEN 2 THEN x WHEN 3 THEN x * 1.0 "
        "WHEN 4 THEN zeroblob(3) ELSE NULL END, "
        "CASE WHEN x % 2 = 0 THEN NULL ELSE 'u' || x END FROM c",
        s + "INSERT INTO quirk SELECT x * 7 - 3000, printf('%d', x) FROM c",
        s + "INSERT INTO textpk SELECT 'k' || x, CASE WHEN x % 3 = 0 THEN NULL ELSE x END, "
        "x % 7 FROM c",
        s + "INSERT INTO norowidalias(rowid, a, b) SELECT x * 1000003 - 500000000000, x % 13, "
        "hex(x % 17) FROM c",
        "INSERT INTO norowidalias(rowid, a, b) VALUES (9223372036854775807, 1, 'max'), "
        "(-9223372036854775808, 2, 'min')",
        s + "INSERT INTO exprs SELECT x, 'S' || (x % 31), x % 40 FROM c",
        s + "INSERT INTO gen(a) SELECT x % 100 FROM c",
        s + "INSERT INTO wr SELECT 'k' || (x % 11), x, x % 9 FROM c",
        s + "INSERT INTO auto(v) SELECT 'v' || x FROM c",
        f"DELETE FROM auto WHERE id > {n - 3}",
        "INSERT INTO big VALUES (1, randomblob(1000000), 'one'), (2, randomblob(4061), 'b'), "
        "(3, randomblob(4062), 'c'), (4, randomblob(100000), NULL), (5, x'', 'e')",
        s + "INSERT INTO big SELECT x + 10, randomblob(x * 37 % 9000), 'n' || (x % 9) FROM c "
        "WHERE x <= 300",
    ]


CHANGES = [
    "UPDATE alias SET a = upper(a), b = b * 2 WHERE id % 35 = 0",
    "DELETE FROM alias WHERE id % 45 = 0",
    "INSERT INTO alias (id, a, e) VALUES (1000000, 'new', 'unew'), (-5, 'neg', NULL)",
    "UPDATE textpk SET w = 'changed' WHERE v % 10 = 1",
    "DELETE FROM norowidalias WHERE a = 3",
    "UPDATE big SET payload = randomblob(200000) WHERE id = 2",
    "DELETE FROM big WHERE id = 1",
    "INSERT INTO auto(v) VALUES ('after')",
    "UPDATE exprs SET n = n + 100 WHERE id % 9 = 0",
]

QUERIES = [
    ("SELECT id FROM alias WHERE a = 'ab7' ORDER BY id", "alias_a"),
    ("SELECT id, b FROM alias WHERE b < 0 ORDER BY b DESC, a", "alias_b_desc"),
    ("SELECT count(*) FROM alias WHERE d = 'pad' COLLATE RTRIM", "alias_d_rtrim"),
    ("SELECT id FROM alias WHERE e = 'u7'", "sqlite_autoindex_alias_1"),
    ("SELECT y FROM quirk WHERE x = 500", "sqlite_autoindex_quirk_1"),
    ("SELECT w FROM textpk WHERE k = 'k77'", "sqlite_autoindex_textpk_1"),
    ("SELECT k FROM textpk WHERE v = 41", "sqlite_autoindex_textpk_2"),
    ("SELECT rowid, a FROM norowidalias WHERE b = '1' ORDER BY a", "norowidalias_ab"),
    ("SELECT id FROM exprs WHERE lower(s) = 's3' ORDER BY id", "exprs_lower"),
    ("SELECT count(*) FROM exprs INDEXED BY exprs_partial WHERE n > 10", "exprs_partial"),
    ("SELECT id FROM big WHERE note = 'n3' ORDER BY id", "big_note"),
]


class BulkRestoreTest(CofreTestCase):
    def setUp(self):
        super().setUp()
        self.coll = f"file://{self.tmp}/c"

    def restore(self, other, bulk, **kw):
        env = dict(os.environ, COFRE_RESTORE_BULK="1" if bulk else "0")
        args = [COFRE, "sql", "--data", other, "-e",
                f"RESTORE DATABASE zoo FROM LATEST IN '{self.coll}' "
                "WITH encryption_passphrase = 'pw'"]
        proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.restore_stderr = proc.stderr
        return self.db_path("zoo", data=other)

    def assert_restored_exactly(self, src, dst):
        self.assertEqual(schema_of(src), schema_of(dst))
        for t in TABLES:
            self.assertEqual(table_dump(src, t), table_dump(dst, t), t)
        con = sqlite3.connect(dst)
        self.assertEqual(con.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
        src_con = sqlite3.connect(src)
        for sql, index in QUERIES:
            plan = " ".join(r[3] for r in con.execute("EXPLAIN QUERY PLAN " + sql))
            self.assertIn(index, plan, sql)
            self.assertEqual(con.execute(sql).fetchall(), src_con.execute(sql).fetchall(), sql)
        src_con.close()
        con.close()

    def assert_takes_writes(self, path):
        con = sqlite3.connect(path)
        with con:
            con.execute(SERIES.format(n=2000) + "INSERT INTO alias (id, a, b, e) "
                        "SELECT 2000000 + x, 'w' || x, x, 'w' || x FROM c")
            con.execute("UPDATE alias SET a = 'again' WHERE id % 7 = 0")
            con.execute("DELETE FROM alias WHERE id % 11 = 0")
            con.execute("INSERT INTO auto(v) VALUES ('more')")
            con.execute("UPDATE big SET payload = randomblob(300000) WHERE id = 4")
        self.assertEqual(con.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
        with self.assertRaises(sqlite3.IntegrityError):
            con.execute("INSERT INTO textpk VALUES ('k5', 1000000, 0)")
        con.close()

    def make_zoo(self, n):
        self.ok("CREATE DATABASE zoo")
        self.ok(*SCHEMA, database="zoo")
        self.ok(*fill_statements(n), database="zoo")

    def test_every_shape_restores_exactly_both_ways(self):
        self.make_zoo(6000)
        self.ok(f"BACKUP DATABASE zoo INTO '{self.coll}' WITH encryption_passphrase = 'pw'")
        src = self.db_path("zoo")
        direct = self.restore(os.path.join(self.tmp, "direct"), bulk=True)
        # The page writer takes every table but the generated columns' and the WITHOUT ROWID
        # one; an expression or partial index, a trigger or AUTOINCREMENT keeps no table from it.
        self.assertIn("NOTICE: 2 of 10 tables went in row by row through SQLite",
                      self.restore_stderr)
        through_sqlite = self.restore(os.path.join(self.tmp, "sqlite"), bulk=False)
        self.assertIn("NOTICE: all 10 tables went in row by row", self.restore_stderr)
        self.assert_restored_exactly(src, direct)
        self.assert_restored_exactly(src, through_sqlite)
        self.assert_takes_writes(direct)

    def test_incremental_chain_restores_exactly(self):
        self.make_zoo(3000)
        self.ok(f"BACKUP DATABASE zoo INTO '{self.coll}' WITH encryption_passphrase = 'pw'")
        self.ok(*CHANGES, database="zoo")
        self.ok(f"BACKUP DATABASE zoo INTO LATEST IN '{self.coll}' "
                "WITH encryption_passphrase = 'pw'")
        self.ok(*[c.replace("% 35", "% 70").replace("% 45", "% 55") for c in CHANGES[:2]],
                "DELETE FROM big", database="zoo")
        self.ok(f"BACKUP DATABASE zoo INTO LATEST IN '{self.coll}' "
                "WITH encryption_passphrase = 'pw'")
        src = self.db_path("zoo")
        direct = self.restore(os.path.join(self.tmp, "direct"), bulk=True)
        self.assert_restored_exactly(src, direct)
        self.assert_takes_writes(direct)

    def test_values_only_sqlite_can_order_fall_back_to_sqlite(self):
        # NOCASE stops comparing at a NUL byte; such text in a NOCASE index makes the restore
        # load the database through SQLite instead, with the same result.
        self.ok("CREATE DATABASE zoo")
        self.ok("CREATE TABLE n (id INTEGER PRIMARY KEY, s TEXT COLLATE NOCASE)",
                "CREATE INDEX n_s ON n (s)",
                SERIES.format(n=500) + "INSERT INTO n SELECT x, CASE WHEN x % 50 = 0 THEN "
                "CAST(x'41006263' AS TEXT) || x ELSE 'v' || x END FROM c", database="zoo")
        self.ok(f"BACKUP DATABASE zoo INTO '{self.coll}' WITH encryption_passphrase = 'pw'")
        src = self.db_path("zoo")
        direct = self.restore(os.path.join(self.tmp, "direct"), bulk=True)
        self.assertIn("NOTICE: all 1 tables went in row by row", self.restore_stderr)
        self.assertEqual(table_dump(src, "n"), table_dump(direct, "n"))
        con = sqlite3.connect(direct)
        self.assertEqual(con.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
        sql = "SELECT id FROM n WHERE s = 'V7'"
        self.assertEqual(con.execute(sql).fetchall(), [(7,)])
        con.close()

    def test_many_pages_and_deep_trees(self):
        # 200k rows: table trees three levels deep, index runs sorted in several passes.
        self.ok("CREATE DATABASE zoo")
        self.ok("CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT, n INT, pad TEXT)",
                "CREATE INDEX t_k ON t (k)", "CREATE UNIQUE INDEX t_n ON t (n)",
                SERIES.format(n=200000) + "INSERT INTO t SELECT x * 3, hex(randomblob(6)), "
                "(x * 7919) % 1000003, printf('%.*c', x % 200, 'p') FROM c", database="zoo")
        self.ok(f"BACKUP DATABASE zoo INTO '{self.coll}' WITH encryption_passphrase = 'pw'")
        src = self.db_path("zoo")
        direct = self.restore(os.path.join(self.tmp, "direct"), bulk=True)
        self.assertEqual(table_dump(src, "t"), table_dump(direct, "t"))
        con = sqlite3.connect(direct)
        self.assertEqual(con.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
        self.assertEqual(con.execute("SELECT count(*) FROM t INDEXED BY t_k WHERE k > ''")
                         .fetchone()[0], 200000)
        self.assertEqual(con.execute("SELECT id FROM t WHERE n = 7919 * 5 % 1000003").fetchall(),
                         [(15,)])
        con.close()


if __name__ == "__main__":
    unittest.main()
