"""RESTORE TABLE into an existing database on randomized schemas: SQLite files
(tests/gen_random_db.py plus random file settings, collations, FTS5/R*Tree tables, statistics and
rows that violate a CHECK) are backed up (full, then incremental), and every ordinary table is
restored in one statement into a database that already holds a table of its own: the tables the
page writer covers have their pages appended to the target, the others are copied in from a
staging file or inserted. The target must hold the source's rows (rowids included), answer PRAGMA
integrity_check as the source does, scan every restored index in its own order as the source
does, keep its own table, and leave no other file behind. A restore refused for its last table's
index name leaves the target as it was."""
import os
import random
import re
import sqlite3
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from cofre_testlib import COFRE, CofreTestCase, table_dump  # noqa: E402
from gen_random_db import make_db  # noqa: E402
from restore_differential_test import dump, index_scans, random_chain, settle_source  # noqa: E402

SEEDS = [int(s) for s in os.environ.get("COFRE_TABLE_SEEDS", "5,17,29,43,67").split(",")]


def ordinary_tables(path):
    con = sqlite3.connect(path)
    try:
        return [r[0] for r in con.execute(
            "SELECT name FROM pragma_table_list WHERE type = 'table' AND schema = 'main' "
            "AND name NOT LIKE 'sqlite%' ORDER BY name")]
    finally:
        con.close()


def own_indexes(path, tables):
    """Index scans restricted to the indexes of `tables`."""
    con = sqlite3.connect(path)
    try:
        names = {r[0] for r in con.execute("SELECT name, tbl_name FROM sqlite_schema WHERE "
                                           "type = 'index'") if r[1] in tables}
    finally:
        con.close()
    return {k: v for k, v in index_scans(path).items() if k in names}


def files_in(directory):
    return sorted(f for f in os.listdir(directory) if not f.endswith(("-wal", "-shm")))


class RestoreTableTest(CofreTestCase):
    def restore_tables(self, name, tables, target, expect_ok=True):
        listed = ", ".join(f'{name}."{t}"' for t in tables)
        proc = subprocess.run(
            [COFRE, "sql", "--data", self.data, "-e",
             f"RESTORE TABLE {listed} FROM LATEST IN 'nodelocal://self/{name}' "
             f"WITH into_db = '{target}'"], capture_output=True, text=True, timeout=600)
        self.assertEqual(proc.returncode == 0, expect_ok, proc.stderr)
        return proc

    def make_target(self, target):
        self.ok(f"CREATE DATABASE {target}", f"CREATE TABLE {target}.keep (x INTEGER, y TEXT)",
                f"CREATE INDEX {target}.keep_y ON keep (y)",
                f"INSERT INTO {target}.keep VALUES (1, 'one'), (2, 'two')")
        return self.db_path(target)

    def test_random_schemas_restore_exactly(self):
        appended = 0  # tables whose pages were appended to the target (restore_append.h)
        for seed in SEEDS:
            with self.subTest(seed=seed):
                name, src, pragmas, label = random_chain(self, seed, random.Random(seed))
                tables = ordinary_tables(src)
                dbdir = os.path.dirname(src)
                before = files_in(dbdir)
                path = self.make_target(f"{name}_t")
                proc = self.restore_tables(name, tables, f"{name}_t")
                m = re.search(r"(\d+) of \d+ tables went into the existing database as b-tree "
                              r"pages", proc.stderr)
                appended += int(m.group(1)) if m else 0
                want_scans = own_indexes(src, set(tables))
                # Rows violating a CHECK are restored as the source held them.
                want_check = sqlite3.connect(src).execute("PRAGMA integrity_check").fetchall()
                con = sqlite3.connect(path)
                self.assertEqual(con.execute("PRAGMA integrity_check").fetchall(), want_check,
                                 label)
                self.assertEqual(con.execute("SELECT x, y FROM keep ORDER BY x").fetchall(),
                                 [(1, "one"), (2, "two")], label)
                con.close()
                for t in tables:
                    self.assertEqual(table_dump(src, t), table_dump(path, t), f"{label} {t}")
                # BINARY order is the order of the encoded bytes: a UTF-16 source's indexes
                # order text differently from the UTF-8 target's.
                if "UTF-8" in pragmas["encoding"]:
                    self.assertEqual(want_scans, own_indexes(path, set(tables)), label)
                # Only the target's file was added.
                added = set(files_in(dbdir)) - set(before)
                self.assertEqual(added, {os.path.basename(path)}, label)
        # Both ways were taken: the other tables were copied or inserted.
        self.assertGreater(appended, 0)

    def test_taken_index_name_restores_nothing(self):
        rng = random.Random(3)
        self.ok("CREATE DATABASE src")
        src = self.db_path("src")
        os.remove(src)
        for suffix in ("-wal", "-shm"):
            if os.path.exists(src + suffix):
                os.remove(src + suffix)
        settle_source(src, rng)
        make_db(src, 3)
        self.ok("BACKUP DATABASE src INTO 'nodelocal://self/src'")
        tables = ordinary_tables(src)
        self.assertIn("coll", tables)
        target = self.make_target("tgt")
        # An index of the last table has a name the target already uses.
        self.ok("CREATE TABLE tgt.other (z)", "CREATE INDEX tgt.coll_b ON other (z)")
        before = dump(target)
        dbdir = os.path.dirname(src)
        files = files_in(dbdir)
        proc = self.restore_tables("src", sorted(set(tables) - {"coll"}) + ["coll"], "tgt",
                                   expect_ok=False)
        self.assertIn("coll_b", proc.stderr)
        self.assertEqual(dump(target), before)
        self.assertEqual(files_in(dbdir), files)

    def test_killed_restore_leaves_the_target_as_it_was_and_in_wal(self):
        """A RESTORE TABLE killed inside the transaction that links its appended pages in, or
        inside its copy from a staging file (which a WITHOUT ROWID table takes), or with both,
        leaves a hot journal and its markers: the next start rolls the target back to what it
        held (the appended pages cut off), puts it back in WAL, and the restore then runs again
        exactly."""
        self.ok("CREATE DATABASE shop")
        src = self.db_path("shop")
        con = sqlite3.connect(src)
        con.executescript("""
            CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT);
            CREATE INDEX a_v ON a (v);
            CREATE TABLE b (id INTEGER PRIMARY KEY, w BLOB);
            CREATE TABLE c (k TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000)
              INSERT INTO a SELECT i, 'v' || (i % 1013) FROM n;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
              INSERT INTO b SELECT i, randomblob(i % 900) FROM n;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
              INSERT INTO c SELECT 'k' || i, i FROM n;
        """)
        con.commit()
        con.close()
        self.ok("BACKUP DATABASE shop INTO 'nodelocal://self/shop'")
        for case, tables, how in (
                ("pages", ["a", "b"], "2 of 2 tables went into the existing database as b-tree "
                 "pages appended to its file"),
                ("records", ["c"], "through a rollback journal"),
                ("both", ["a", "b", "c"], "2 of 3 tables went into the existing database as "
                 "b-tree pages appended to its file; 1 of the other 1 as whole records (SQLite's "
                 "transfer from a staging file, through a rollback journal)")):
            with self.subTest(case):
                target = f"tgt_{case}"
                path = self.make_target(target)
                before = dump(path)
                con = sqlite3.connect(path)
                pages = con.execute("PRAGMA page_count").fetchall()
                con.close()
                listed = ", ".join(f"shop.{t}" for t in tables)
                env = dict(os.environ, COFRE_TEST_KILL_DURING_TABLE_COPY="1")
                proc = subprocess.run(
                    [COFRE, "sql", "--data", self.data, "-e",
                     f"RESTORE TABLE {listed} FROM LATEST IN 'nodelocal://self/shop' "
                     f"WITH into_db = '{target}'"], capture_output=True, text=True, timeout=600,
                    env=env)
                self.assertEqual(proc.returncode, -9, proc.stderr)
                self.assertTrue(os.path.exists(path + "-cofre-wal"))
                self.assertTrue(os.path.exists(path + "-journal"))
                self.assertEqual(os.path.exists(path + "-cofre-append"), case != "records")
                # The next start: the hot journal rolled back, the appended pages cut off, WAL
                # again, the markers gone.
                self.ok("SELECT 1")
                self.assertFalse(os.path.exists(path + "-cofre-wal"))
                self.assertFalse(os.path.exists(path + "-cofre-append"))
                con = sqlite3.connect(path)
                try:
                    self.assertEqual(con.execute("PRAGMA journal_mode").fetchall(), [("wal",)])
                    self.assertEqual(con.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
                    self.assertEqual(con.execute("PRAGMA page_count").fetchall(), pages)
                finally:
                    con.close()
                self.assertEqual(dump(path), before)
                proc = self.restore_tables("shop", tables, target)
                self.assertIn(how, proc.stderr)
                for t in tables:
                    self.assertEqual(table_dump(src, t), table_dump(path, t), t)
                con = sqlite3.connect(path)
                try:
                    self.assertEqual(con.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
                finally:
                    con.close()

    def test_tables_move_in_as_pages_or_whole_records(self):
        """Into a WAL database nobody else has open, the tables' b-tree pages are appended to the
        target's file and linked into its schema (engine/pending_append.h), beside the target's
        own rows and free pages. With another connection holding the target, tables that SQLite
        can transfer (an INTEGER PRIMARY KEY or an index) go in as whole records from a staging
        file; one it would renumber (neither) goes row by row. Every way, rows, rowids, indexes,
        the AUTOINCREMENT counter (and sqlite_sequence itself) and triggers arrive."""
        self.ok("CREATE DATABASE shop")
        src = self.db_path("shop")
        con = sqlite3.connect(src)
        con.executescript("""
            CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, total REAL, note BLOB);
            CREATE INDEX orders_customer ON orders (customer);
            CREATE TABLE log (msg TEXT);
            CREATE TABLE seq (id INTEGER PRIMARY KEY AUTOINCREMENT, v);
            CREATE TRIGGER orders_audit AFTER UPDATE ON orders
              BEGIN INSERT INTO log VALUES ('updated ' || new.id); END;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
              INSERT INTO orders SELECT i * 3, 'c' || (i % 977), i / 7.0,
                CASE WHEN i % 500 = 0 THEN randomblob(6000) ELSE NULL END FROM n;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
              INSERT INTO log SELECT 'm' || i FROM n;
            DELETE FROM log WHERE rowid % 4 = 0;
            INSERT INTO seq (v) VALUES (1), (2), (3);
            DELETE FROM seq WHERE id = 3;
        """)
        con.commit()
        con.close()
        self.ok("BACKUP DATABASE shop INTO 'nodelocal://self/shop'")
        path = self.make_target("tgt")
        # Free pages in the target, which integrity_check then finds still on its freelist.
        con = sqlite3.connect(path)
        con.executescript("CREATE TABLE junk (x); "
                          "INSERT INTO junk SELECT randomblob(3000) FROM keep, keep, keep; "
                          "DROP TABLE junk;")
        free = con.execute("PRAGMA freelist_count").fetchone()[0]
        con.close()
        self.assertGreater(free, 0)
        proc = self.restore_tables("shop", ["log", "orders", "seq"], "tgt")
        self.assertIn("3 of 3 tables went into the existing database as b-tree pages appended "
                      "to its file", proc.stderr)
        # The target went through a rollback journal and is back in WAL, with no marker left
        # (engine/journal_switch.h, engine/pending_append.h).
        self.assertEqual(sqlite3.connect(path).execute("PRAGMA journal_mode").fetchall(),
                         [("wal",)])
        self.assertFalse(os.path.exists(path + "-cofre-wal"))
        self.assertFalse(os.path.exists(path + "-cofre-append"))
        for t in ("orders", "log", "seq"):
            self.assertEqual(table_dump(src, t), table_dump(path, t), t)
        self.assertEqual(own_indexes(src, {"orders"}), own_indexes(path, {"orders"}))
        con = sqlite3.connect(path)
        try:
            self.assertEqual(con.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
            self.assertEqual(con.execute("SELECT seq FROM sqlite_sequence WHERE name = 'seq'")
                             .fetchall(), [(3,)])
            con.execute("UPDATE orders SET total = 0 WHERE id = 3")
            self.assertEqual(con.execute("SELECT msg FROM log ORDER BY rowid DESC LIMIT 1")
                             .fetchall(), [("updated 3",)])
        finally:
            con.close()
        # With another connection holding the target open, the copy goes through its WAL, and
        # that connection reads on meanwhile.
        path = self.make_target("tgt2")
        reader = sqlite3.connect(path)
        try:
            self.assertEqual(reader.execute("SELECT count(*) FROM keep").fetchall(), [(2,)])
            proc = self.restore_tables("shop", ["log", "orders", "seq"], "tgt2")
            self.assertIn("2 of 3 tables went into the existing database as whole records",
                          proc.stderr)
            self.assertNotIn("through a rollback journal", proc.stderr)
            self.assertEqual(reader.execute("SELECT count(*) FROM orders").fetchall(), [(20000,)])
        finally:
            reader.close()
        for t in ("orders", "log", "seq"):
            self.assertEqual(table_dump(src, t), table_dump(path, t), t)
        con = sqlite3.connect(path)
        try:
            self.assertEqual(con.execute("PRAGMA journal_mode").fetchall(), [("wal",)])
            self.assertEqual(con.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
            self.assertEqual(con.execute("SELECT seq FROM sqlite_sequence WHERE name = 'seq'")
                             .fetchall(), [(3,)])
        finally:
            con.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
