"""End-to-end tests: everything an SQLite file holds comes back from a backup. FTS5 and R*Tree
virtual tables (through their shadow tables, incrementally too), ANALYZE's statistics, the file
settings (auto_vacuum, text encoding, journal mode), rows that violate a CHECK constraint, and
the widest table SQLite accepts. Every restore runs through both paths (pages written directly,
and COFRE_RESTORE_BULK=0) and is compared with the source by the sqlite3 CLI's .dump."""
import os
import sqlite3
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from cofre_testlib import COFRE, CofreTestCase  # noqa: E402

COLL = "nodelocal://self/coll"


def dump(path):
    """The file as the sqlite3 CLI dumps it: schema, rows, statistics, virtual tables."""
    out = subprocess.run(["sqlite3", path, ".dump"], capture_output=True, text=True, check=True)
    return out.stdout


def header(path):
    with open(path, "rb") as f:
        h = f.read(100)
    return {
        "journal": "wal" if h[18] == 2 else "delete",
        "auto_vacuum": 0 if int.from_bytes(h[52:56], "big") == 0
        else (2 if int.from_bytes(h[64:68], "big") else 1),
        "encoding": int.from_bytes(h[56:60], "big"),
    }


class FidelityTestCase(CofreTestCase):
    def make_source(self, name, statements, pragmas=()):
        """A cofre database whose file is written by SQLite itself with `pragmas` first."""
        self.ok(f"CREATE DATABASE {name}")
        path = self.db_path(name)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        con = sqlite3.connect(path, isolation_level=None)
        for p in pragmas:
            con.execute(p)
        for s in statements:
            con.execute(s)
        con.close()
        return path

    def restore(self, source, target, bulk, extra=""):
        env = dict(os.environ, COFRE_RESTORE_BULK="1" if bulk else "0")
        args = [COFRE, "sql", "--data", self.data, "-e",
                f"RESTORE DATABASE {source} FROM LATEST IN '{COLL}' "
                f"WITH new_db_name = '{target}'{extra}"]
        proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return self.db_path(target), proc

    def restore_both(self, source, tag=""):
        """Restores `source` through both paths; checks each against the source's .dump."""
        src = self.db_path(source)
        paths = []
        for bulk in (True, False):
            path, _ = self.restore(source, f"{source}_{tag}{'bulk' if bulk else 'sql'}", bulk)
            self.assertEqual(dump(src), dump(path), f"bulk={bulk}")
            # integrity_check also reports rows that violate a CHECK: as in the source.
            check = "PRAGMA integrity_check"
            self.assertEqual(sqlite3.connect(src).execute(check).fetchall(),
                             sqlite3.connect(path).execute(check).fetchall())
            paths.append(path)
        return paths


FTS_SCHEMA = [
    "CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT, body TEXT)",
    "CREATE VIRTUAL TABLE ft USING fts5(title, body, tokenize = 'porter unicode61')",
    "CREATE VIRTUAL TABLE ext USING fts5(title, body, content = 'docs', content_rowid = 'id')",
    "CREATE VIRTUAL TABLE bare USING fts5(body, content = '')",
    "CREATE VIRTUAL TABLE geo USING rtree(id, minx, maxx, miny, maxy)",
    "CREATE VIRTUAL TABLE geoi USING rtree_i32(id, x0, x1)",
]

WORDS = ["alpha", "beta", "gamma", "delta", "search", "running", "runs", "ocean", "forest",
         "river", "mountain", "light", "dark", "quick", "brown", "fox"]


def fts_rows(start, n):
    stmts = []
    for i in range(start, start + n):
        title = f"{WORDS[i % 16]} {WORDS[(i * 7) % 16]}"
        body = " ".join(WORDS[(i * k + 3) % 16] for k in range(1, 12))
        stmts += [
            f"INSERT INTO docs VALUES ({i}, '{title}', '{body}')",
            f"INSERT INTO ext(rowid, title, body) VALUES ({i}, '{title}', '{body}')",
            f"INSERT INTO ft(rowid, title, body) VALUES ({i}, '{title}', '{body}')",
            f"INSERT INTO bare(rowid, body) VALUES ({i}, '{body}')",
            f"INSERT INTO geo VALUES ({i}, {i % 50}, {i % 50 + 2.5}, {i % 37}, {i % 37 + 1})",
            f"INSERT INTO geoi VALUES ({i}, {i * 3}, {i * 3 + 10})",
        ]
    return stmts


FTS_QUERIES = [
    "SELECT rowid, rank, highlight(ft, 1, '[', ']') FROM ft WHERE ft MATCH 'run*' "
    "ORDER BY rank, rowid",
    "SELECT rowid, bm25(ft), snippet(ft, 1, '<', '>', '...', 4) FROM ft "
    "WHERE ft MATCH 'title:alpha OR ocean' ORDER BY rank, rowid",
    "SELECT rowid, highlight(ext, 0, '[', ']') FROM ext WHERE ext MATCH 'forest NOT dark' "
    "ORDER BY rank, rowid",
    "SELECT rowid FROM bare WHERE bare MATCH 'river AND mountain' ORDER BY rowid",
    "SELECT id FROM geo WHERE minx >= 10 AND maxx <= 30 AND miny < 20 ORDER BY id",
    "SELECT id, x0 FROM geoi WHERE x0 BETWEEN 100 AND 400 ORDER BY id",
    "SELECT count(*) FROM ft_data",
]


class VirtualTableTest(FidelityTestCase):
    def check_answers(self, src, path):
        a, b = sqlite3.connect(src), sqlite3.connect(path)
        for q in FTS_QUERIES:
            got = b.execute(q).fetchall()
            self.assertEqual(a.execute(q).fetchall(), got, q)
        self.assertTrue(a.execute(FTS_QUERIES[0]).fetchall())
        for t in ("ft", "ext", "bare"):
            b.execute(f"INSERT INTO {t}({t}) VALUES ('integrity-check')")
        # The restored tables take writes and stay consistent.
        b.execute("INSERT INTO ft(rowid, title, body) VALUES (100000, 'new', 'running river')")
        b.execute("INSERT INTO geo VALUES (100000, 1, 2, 3, 4)")
        b.commit()
        b.execute("INSERT INTO ft(ft) VALUES ('integrity-check')")
        self.assertIn((100000,), b.execute("SELECT rowid FROM ft WHERE ft MATCH 'running'").fetchall())
        self.assertEqual(b.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
        a.close()
        b.close()

    def test_fts5_and_rtree_full_and_incremental(self):
        src = self.make_source("s", FTS_SCHEMA + fts_rows(1, 150) + [
            "DELETE FROM ft WHERE rowid % 7 = 0",
            "INSERT INTO ext(ext, rowid, title, body) SELECT 'delete', id, title, body FROM docs "
            "WHERE id % 11 = 0",
            "DELETE FROM docs WHERE id % 11 = 0",
            "DELETE FROM geo WHERE id % 5 = 0"])
        self.ok(f"BACKUP DATABASE s INTO '{COLL}'")
        shown = {r["object_name"]: r for r in self.rows(f"SHOW BACKUP FROM LATEST IN '{COLL}'")}
        self.assertIn("ft", shown)
        self.assertGreater(int(shown["ft_data"]["rows"]), 0)
        # A shadow table is restored with its database, never on its own.
        self.ok("CREATE DATABASE other")
        self.fails(f"RESTORE TABLE s.ft_data FROM LATEST IN '{COLL}' WITH into_db = 'other'",
                   contains=["shadow table", "RESTORE DATABASE"])
        self.ok(f"RESTORE TABLE s.docs FROM LATEST IN '{COLL}' WITH into_db = 'other'")
        for path in self.restore_both("s", "full"):
            self.check_answers(src, path)
        # Changes after the full backup: new segments, merges, deletions, an optimize.
        con = sqlite3.connect(src, isolation_level=None)
        for s in fts_rows(151, 100) + [
                "DELETE FROM ft WHERE rowid % 13 = 0", "INSERT INTO ft(ft) VALUES ('optimize')",
                "UPDATE geo SET maxx = maxx + 1 WHERE id % 3 = 0",
                "INSERT INTO bare(bare, rowid, body) SELECT 'delete', id, body FROM docs "
                "WHERE id = 151"]:
            con.execute(s)
        con.close()
        self.ok(f"BACKUP DATABASE s INTO LATEST IN '{COLL}'")
        for path in self.restore_both("s", "inc"):
            self.check_answers(src, path)

    def test_unsupported_modules_are_named_at_backup(self):
        path = self.make_source("u", ["CREATE TABLE a(x)", "INSERT INTO a VALUES (1)",
                                      "PRAGMA writable_schema = ON",
                                      "INSERT INTO sqlite_schema VALUES ('table', 'vv', 'vv', 0, "
                                      "'CREATE VIRTUAL TABLE vv USING nosuchmod(a, b)')"])
        self.fails(f"BACKUP DATABASE u INTO '{COLL}'",
                   contains=['"vv"', '"nosuchmod"', "not available"])
        self.make_source("d", ["CREATE VIRTUAL TABLE st USING dbstat"])
        self.fails(f"BACKUP DATABASE d INTO '{COLL}'", contains=['"st"', '"dbstat"'])
        # The other tables back up on their own; a shadow table on its own does not.
        self.ok(f"BACKUP TABLE u.a INTO '{COLL}'")
        self.make_source("f", ["CREATE VIRTUAL TABLE ft USING fts5(x)"])
        self.fails(f"BACKUP TABLE f.ft_data INTO '{COLL}'", contains="shadow table")
        self.assertTrue(os.path.exists(path))


class StatisticsTest(FidelityTestCase):
    def test_stat1_and_stat4_come_back(self):
        series = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000) "
        src = self.make_source("st", [
            "CREATE TABLE t (a INT, b TEXT, c INT)",
            "CREATE INDEX t_a ON t (a)", "CREATE INDEX t_bc ON t (b, c)",
            "CREATE TABLE w (k TEXT PRIMARY KEY, v) WITHOUT ROWID",
            series + "INSERT INTO t SELECT x % 3, 'b' || (x % 400), x FROM c",
            series + "INSERT INTO w SELECT 'k' || x, x FROM c",
            "ANALYZE",
            # sqlite_stat4 as a SQLITE_ENABLE_STAT4 build leaves it.
            "PRAGMA writable_schema = ON",
            "CREATE TABLE sqlite_stat4(tbl,idx,neq,nlt,ndlt,sample)",
            "PRAGMA writable_schema = OFF",
            "INSERT INTO sqlite_stat4 VALUES ('t', 't_a', '667 1', '0 0', '0 0', x'020101')",
            "INSERT INTO sqlite_stat4 VALUES ('t', 't_a', '667 1', '667 667', '1 1', x'02010209')"])
        self.ok(f"BACKUP DATABASE st INTO '{COLL}'")
        query = "EXPLAIN QUERY PLAN SELECT * FROM t WHERE a = 1 AND b = 'b7'"
        for path in self.restore_both("st"):
            for table in ("sqlite_stat1", "sqlite_stat4"):
                q = f"SELECT * FROM {table} ORDER BY 1, 2, 3"
                a, b = sqlite3.connect(src), sqlite3.connect(path)
                self.assertTrue(a.execute(q).fetchall())
                self.assertEqual(a.execute(q).fetchall(), b.execute(q).fetchall())
                self.assertEqual([r[3] for r in a.execute(query)], [r[3] for r in b.execute(query)])


class FileSettingsTest(FidelityTestCase):
    def check_settings(self, name, pragmas, want):
        text = "naïve Ünïcödé 漢字 🙂"
        src = self.make_source(name, [
            "CREATE TABLE t (k TEXT PRIMARY KEY, v) WITHOUT ROWID",
            "CREATE TABLE r (id INTEGER PRIMARY KEY, s TEXT, b BLOB)",
            "CREATE INDEX r_s ON r (s)",
            f"INSERT INTO t VALUES ('{text}', 1), ('a', 2), ('Z', 3), ('é', 4), ('\uffff', 5)",
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 500) "
            f"INSERT INTO r SELECT x, '{text}' || x, randomblob(x) FROM c",
            "DELETE FROM r WHERE id % 3 = 0"], pragmas=pragmas)
        self.assertEqual(header(src), want)
        self.ok(f"BACKUP DATABASE {name} INTO '{COLL}/{name}'")
        env = dict(os.environ)
        for bulk in (True, False):
            target = f"{name}_{'bulk' if bulk else 'sql'}"
            env["COFRE_RESTORE_BULK"] = "1" if bulk else "0"
            proc = subprocess.run(
                [COFRE, "sql", "--data", self.data, "-e",
                 f"RESTORE DATABASE {name} FROM LATEST IN '{COLL}/{name}' "
                 f"WITH new_db_name = '{target}'"], capture_output=True, text=True, env=env)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            path = self.db_path(target)
            self.assertEqual(header(path), want, target)
            self.assertEqual(dump(src), dump(path))
            # The file keeps its settings once cofre opens and writes it (a UTF-16 file cannot
            # join a session's UTF-8 connection: SQLite attaches same-encoding files only).
            if want["encoding"] == 1:
                self.ok(f"INSERT INTO {target}.r (s) VALUES ('after')")
                self.assertEqual(header(path), want, target)
            con = sqlite3.connect(path)
            self.assertEqual(con.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
            order = "SELECT k FROM t"
            self.assertEqual(sqlite3.connect(src).execute(order).fetchall(),
                             con.execute(order).fetchall())
            con.close()

    def test_auto_vacuum_full_rollback_journal(self):
        self.check_settings("avf", ["PRAGMA auto_vacuum = FULL", "PRAGMA journal_mode = DELETE"],
                            {"journal": "delete", "auto_vacuum": 1, "encoding": 1})

    def test_auto_vacuum_incremental_wal(self):
        self.check_settings("avi", ["PRAGMA auto_vacuum = INCREMENTAL",
                                    "PRAGMA journal_mode = WAL"],
                            {"journal": "wal", "auto_vacuum": 2, "encoding": 1})

    def test_utf16le(self):
        self.check_settings("u16le", ["PRAGMA encoding = 'UTF-16le'"],
                            {"journal": "delete", "auto_vacuum": 0, "encoding": 2})

    def test_utf16be_wal(self):
        self.check_settings("u16be", ["PRAGMA encoding = 'UTF-16be'", "PRAGMA journal_mode = WAL"],
                            {"journal": "wal", "auto_vacuum": 0, "encoding": 3})

    def test_unpaired_utf16_surrogates_are_announced(self):
        self.make_source("sur", [
            "CREATE TABLE t (a)",
            # An unpaired high surrogate then 'A', a valid pair, an unpaired low surrogate.
            "INSERT INTO t VALUES (CAST(X'00D84100' AS TEXT)), (CAST(X'3DD801DE' AS TEXT)), "
            "(CAST(X'00DC' AS TEXT))"], pragmas=["PRAGMA encoding = 'UTF-16le'"])
        r = self.ok(f"BACKUP DATABASE sur INTO '{COLL}'")
        self.assertIn("NOTICE: table sur.t has 2 row(s) whose text holds unpaired UTF-16 "
                      "surrogates", r.stderr)
        path, _ = self.restore("sur", "sur2", True)
        got = sqlite3.connect(path).execute(
            "SELECT hex(CAST(a AS BLOB)) FROM t ORDER BY rowid").fetchall()
        self.assertEqual(got[1], ("3DD801DE",))  # valid text of every plane comes back exactly
        self.make_source("ok16", ["CREATE TABLE t (a)", "INSERT INTO t VALUES ('fine 🙂')"],
                         pragmas=["PRAGMA encoding = 'UTF-16be'"])
        r = self.ok(f"BACKUP DATABASE ok16 INTO '{COLL}/ok16'")
        self.assertNotIn("surrogates", r.stderr)


class CheckConstraintTest(FidelityTestCase):
    def test_rows_violating_check_restore_through_both_paths(self):
        self.make_source("ck", [
            "CREATE TABLE t (id INTEGER PRIMARY KEY, n INT CHECK (n > 0), s TEXT, "
            "CHECK (length(s) < 3))",
            "CREATE INDEX t_n ON t (n)",
            "CREATE TABLE w (k INT PRIMARY KEY CHECK (k < 10), v) WITHOUT ROWID",
            "INSERT INTO t VALUES (1, 5, 'ok')",
            "PRAGMA ignore_check_constraints = ON",
            "INSERT INTO t VALUES (2, -1, 'too long'), (3, 0, NULL)",
            "INSERT INTO w VALUES (50, 'bad'), (1, 'good')"])
        self.ok(f"BACKUP DATABASE ck INTO '{COLL}'")
        bulk, sql = self.restore_both("ck")
        self.assertEqual(dump(bulk), dump(sql))
        self.assertEqual(sqlite3.connect(bulk).execute("SELECT * FROM t ORDER BY id").fetchall(),
                         [(1, 5, "ok"), (2, -1, "too long"), (3, 0, None)])
        # The restored file still enforces its constraints on new rows.
        self.fails("INSERT INTO ck_bulk.t VALUES (9, -5, 'x')", contains="CHECK")


class WideTableTest(FidelityTestCase):
    def test_2000_columns_full_and_incremental(self):
        cols = [f"c{i}" for i in range(2000)]
        defs = ", ".join(cols)
        vals = lambda r: ", ".join(  # noqa: E731
            "NULL" if (r + i) % 7 == 0 and i not in (0, 5) else (f"'t{r}_{i}'" if i % 3 else str(r * 10000 + i))
            for i in range(2000))
        src = self.make_source("wide", [
            f"CREATE TABLE w ({defs})",
            f"CREATE TABLE wr ({defs}, PRIMARY KEY (c5, c0)) WITHOUT ROWID",
            "CREATE INDEX w_c1999 ON w (c1999)"] + [
            f"INSERT INTO w (rowid, {defs}) VALUES ({r * 3 - 10}, {vals(r)})" for r in range(40)] + [
            f"INSERT INTO wr VALUES ({vals(r)})" for r in range(20)])
        self.ok(f"BACKUP DATABASE wide INTO '{COLL}'")
        self.restore_both("wide", "full")
        con = sqlite3.connect(src, isolation_level=None)
        con.execute("UPDATE w SET c1999 = 'changed', c0 = NULL WHERE rowid % 2 = 0")
        con.execute("DELETE FROM w WHERE rowid = -4")
        con.execute(f"INSERT INTO w (rowid, {defs}) VALUES (1000000, {vals(99)})")
        con.execute("UPDATE wr SET c1000 = 'x' WHERE c0 % 2 = 0")
        con.close()
        self.ok(f"BACKUP DATABASE wide INTO LATEST IN '{COLL}'")
        self.restore_both("wide", "inc")


if __name__ == "__main__":
    unittest.main()
