"""Differential test of RESTORE's two paths: randomized SQLite files (tests/gen_random_db.py, plus
random file settings, collations, FTS5 and R*Tree tables, statistics and rows that violate a
CHECK) are backed up (full, then incremental), restored once with pages written directly and once
through SQLite (COFRE_RESTORE_BULK=0), and both files are compared with the source by readers
that share no code with cofre: the sqlite3 CLI's .dump, PRAGMA integrity_check, and every index
scanned in its own order through INDEXED BY."""
import os
import random
import re
import sqlite3
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from cofre_testlib import COFRE, CofreTestCase  # noqa: E402
from gen_random_db import make_db, rand_value  # noqa: E402

SEEDS = [int(s) for s in os.environ.get("COFRE_DIFF_SEEDS", "11,23,37,41,59,61,73,89").split(",")]


def dump(path):
    return subprocess.run(["sqlite3", path, ".dump"], capture_output=True, text=True,
                          check=True).stdout


def index_scans(path):
    """Every index's rows in the index's own order: {index: rows}."""
    con = sqlite3.connect(path)
    out = {}
    for name, table, sql in con.execute(
            "SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'index' ORDER BY name"):
        where = ""
        if sql and re.search(r"\)\s+WHERE\s", sql, re.I):
            where = " WHERE " + re.split(r"\)\s+WHERE\s", sql, flags=re.I)[-1]
        q = f'SELECT * FROM "{table}" INDEXED BY "{name}"{where}'
        try:
            out[name] = con.execute(q).fetchall()
        except sqlite3.OperationalError as e:
            out[name] = f"error: {e}"
    con.close()
    return out


def settle_source(path, rng):
    """Creates the source file with random file settings, before gen_random_db fills it."""
    con = sqlite3.connect(path, isolation_level=None)
    pragmas = {
        "encoding": rng.choice(["'UTF-8'"] * 4 + ["'UTF-16le'", "'UTF-16be'"]),
        "page_size": rng.choice([512, 1024, 4096, 8192, 65536]),
        "auto_vacuum": rng.choice([0, 0, 0, 1, 2]),
    }
    for k, v in pragmas.items():
        con.execute(f"PRAGMA {k} = {v}")
    con.execute("CREATE TABLE coll (id INTEGER PRIMARY KEY, a TEXT COLLATE NOCASE, "
                "b TEXT COLLATE RTRIM, n INT CHECK (n >= 0))")
    con.execute("CREATE INDEX coll_a ON coll (a DESC, b)")
    con.execute("CREATE INDEX coll_b ON coll (b COLLATE BINARY, n)")
    con.close()
    return pragmas


def extras(path, rng):
    """FTS5 and R*Tree tables, statistics, rows violating a CHECK, on top of the random tables."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA ignore_check_constraints = ON")
    for i in range(rng.randint(20, 120)):
        a = rng.choice(["abc", "ABC", "Abc ", "é", "É", "", None, "z" * rng.randint(1, 300)])
        b = rng.choice(["x", "x  ", "x ", "y", None])
        con.execute("INSERT INTO coll (a, b, n) VALUES (?, ?, ?)", (a, b, rng.randint(-5, 50)))
    if rng.random() < 0.6:
        con.execute("CREATE VIRTUAL TABLE fts USING fts5(t, u)")
        for i in range(rng.randint(1, 80)):
            words = [rng.choice(["alpha", "beta", "gamma", "ünïcode", "漢字", "x"])
                     for _ in range(rng.randint(1, 12))]
            con.execute("INSERT INTO fts VALUES (?, ?)", (" ".join(words), str(rand_value(rng, ""))))
        con.execute("DELETE FROM fts WHERE rowid % 5 = 0")
    if rng.random() < 0.6:
        con.execute("CREATE VIRTUAL TABLE rt USING rtree(id, x0, x1)")
        for i in range(rng.randint(1, 200)):
            x = rng.uniform(-1e6, 1e6)
            con.execute("INSERT INTO rt VALUES (?, ?, ?)", (i, x, x + rng.uniform(0, 100)))
    if rng.random() < 0.7:
        con.execute("ANALYZE")
    con.close()


def change(path, rng):
    con = sqlite3.connect(path, isolation_level=None)
    tables = [r[0] for r in con.execute(
        "SELECT name FROM pragma_table_list WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
        "AND schema = 'main'")]
    for t in tables:  # ordinary tables only: pragma_table_list types shadow tables apart
        if rng.random() < 0.5:
            wr = con.execute("SELECT wr FROM pragma_table_list WHERE name = ?", (t,)).fetchone()[0]
            key = "k2" if wr else "rowid"
            con.execute(f'DELETE FROM "{t}" WHERE {key} IN (SELECT {key} FROM "{t}" '
                        f'ORDER BY {key} LIMIT 5)')
    con.execute("PRAGMA ignore_check_constraints = ON")
    con.execute("INSERT INTO coll (a, b, n) VALUES ('late', 'late ', -1)")
    if con.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'fts'").fetchone()[0]:
        con.execute("INSERT INTO fts VALUES ('late gamma', 'x')")
    # Virtual tables created or dropped between the layers.
    if rng.random() < 0.5:
        con.execute("CREATE VIRTUAL TABLE late USING fts5(w, content = '', detail = none)")
        con.execute("INSERT INTO late(rowid, w) VALUES (7, 'late words'), (9, 'more words')")
    if con.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'rt'").fetchone()[0] and \
            rng.random() < 0.5:
        con.execute("DROP TABLE rt")
    con.close()


def random_chain(test, seed, rng, maybe_rollback_journal=False):
    """Database d<seed> of `test`'s data directory replaced by a random source (pragmas, schema,
    rows, extras; with `maybe_rollback_journal`, half the time in DELETE mode), backed up into
    nodelocal://self/d<seed>, changed, and backed up again incrementally. Returns its name, its
    file, its pragmas and a label for messages."""
    name = f"d{seed}"
    test.ok(f"CREATE DATABASE {name}")
    src = test.db_path(name)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(src + suffix):
            os.remove(src + suffix)
    pragmas = settle_source(src, rng)
    make_db(src, seed)
    if maybe_rollback_journal and rng.random() < 0.5:
        sqlite3.connect(src).execute("PRAGMA journal_mode = DELETE").close()
    extras(src, rng)
    coll = f"nodelocal://self/{name}"
    # Seeds of the form 4k + 1 cut every table of a few dozen rows or more into several spans, so that the
    # direct restore loads the later half of each on a second thread, into a part of its b-tree.
    pieces = {"COFRE_BACKUP_MIN_PIECE_ROWS": "16"} if seed % 4 == 1 else {}
    saved = {k: os.environ.get(k) for k in pieces}
    os.environ.update(pieces)
    try:
        test.ok(f"BACKUP DATABASE {name} INTO '{coll}'")
        change(src, rng)
        test.ok(f"BACKUP DATABASE {name} INTO LATEST IN '{coll}'")
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return name, src, pragmas, f"seed {seed} {pragmas}{' (small spans)' if pieces else ''}"


class RestoreDifferentialTest(CofreTestCase):
    def restore(self, name, target, bulk):
        env = dict(os.environ, COFRE_RESTORE_BULK="1" if bulk else "0")
        proc = subprocess.run(
            [COFRE, "sql", "--data", self.data, "-e",
             f"RESTORE DATABASE {name} FROM LATEST IN 'nodelocal://self/{name}' "
             f"WITH new_db_name = '{target}'"], capture_output=True, text=True, env=env,
            timeout=600)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return self.db_path(target)

    def compare(self, src, paths, label):
        want_dump, want_scans = dump(src), index_scans(src)
        check = "PRAGMA integrity_check"
        want_check = sqlite3.connect(src).execute(check).fetchall()
        for path in paths:
            self.assertEqual(want_dump, dump(path), label)
            self.assertEqual(want_check, sqlite3.connect(path).execute(check).fetchall(), label)
            self.assertEqual(want_scans, index_scans(path), label)
            con = sqlite3.connect(path)
            for name in ("fts", "late"):
                if con.execute("SELECT count(*) FROM sqlite_schema WHERE name = ?",
                               (name,)).fetchone()[0]:
                    con.execute(f"INSERT INTO {name}({name}) VALUES ('integrity-check')")
            con.close()

    def test_random_schemas_restore_alike_through_both_paths(self):
        for seed in SEEDS:
            with self.subTest(seed=seed):
                name, src, _, label = random_chain(self, seed, random.Random(seed),
                                                   maybe_rollback_journal=True)
                paths = [self.restore(name, f"{name}_bulk", True),
                         self.restore(name, f"{name}_sql", False)]
                self.compare(src, paths, label)


if __name__ == "__main__":
    unittest.main()
