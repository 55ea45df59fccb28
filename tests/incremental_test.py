"""End-to-end tests of incremental backups: exact restores of every layer of random workloads,
chain encryption rules, target checks, long chains, cost, and tamper detection in layers."""
import os
import random
import re
import shutil
import sqlite3
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from cofre_testlib import CofreTestCase, table_dump  # noqa: E402

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "testdata", "golden")


def row_digests_supported():
    """Row digests (backup/row_cache.h, crypto/row_digest.h) need AVX-512 with VPCLMULQDQ; on
    other CPUs cofre keeps no row digest cache, and incrementals read the backup instead (what
    every other test here checks)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = set(next((l for l in f if l.startswith("flags")), "").split())
    except OSError:
        return False
    return {"avx512f", "avx512bw", "vpclmulqdq"} <= flags


ROW_DIGESTS = unittest.skipUnless(row_digests_supported(),
                                  "this CPU has no 512-bit carry-less multiplies (no row cache)")


def dump_db(path):
    con = sqlite3.connect(path)
    tables = sorted(r[0] for r in con.execute(
        "SELECT name FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite_%'"))
    objects = sorted(con.execute(
        "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_autoindex%'").fetchall())
    con.close()
    return {"objects": objects, "tables": {t: table_dump(path, t) for t in tables}}


def dump_any_db(path):
    """Every object and every row (with its rowid, when it has one) of a database whose names may
    need quoting."""
    con = sqlite3.connect(path)
    try:
        out = {"objects": sorted(con.execute(
            "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_autoindex%'"
        ).fetchall())}
        for name, wr in con.execute("SELECT name, wr FROM pragma_table_list "
                                    "WHERE schema = 'main' AND name NOT LIKE 'sqlite_%'").fetchall():
            q = '"' + name.replace('"', '""') + '"'
            key = "" if wr else "rowid, "
            out[name] = con.execute(f"SELECT {key}* FROM {q} ORDER BY 1").fetchall()
        return out
    finally:
        con.close()


class Workload:
    """Random inserts, updates, deletes and schema changes on a SQLite file (any client)."""

    def __init__(self, path, seed):
        self.path = path
        self.rng = random.Random(seed)
        self.n = 0
        con = sqlite3.connect(path)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT, w REAL)")
        con.execute("CREATE TABLE b (k1 TEXT, k2 INT, v BLOB, PRIMARY KEY (k1, k2)) WITHOUT ROWID")
        con.execute("CREATE TABLE c (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)")
        con.commit()
        con.close()
        self.step(400)

    def step(self, ops=60):
        rng = self.rng
        con = sqlite3.connect(self.path)
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        for _ in range(ops):
            self.n += 1
            t = rng.choice(tables)
            op = rng.random()
            if t == "b":
                k = (rng.choice("xyz"), rng.randint(0, 300))
                if op < 0.6:
                    con.execute("INSERT OR REPLACE INTO b VALUES (?, ?, ?)", k + (os.urandom(rng.randint(0, 40)),))
                else:
                    con.execute("DELETE FROM b WHERE k1 = ? AND k2 = ?", k)
                continue
            cols = [r[1] for r in con.execute(f'PRAGMA table_info("{t}")')]
            if op < 0.5:
                vals = [None] + [rng.choice([None, rng.randint(-5, 5), f"s{self.n}", rng.random()])
                                 for _ in cols[1:]]
                if rng.random() < 0.3:
                    vals[0] = rng.randint(1, 2000)
                con.execute(f'INSERT OR REPLACE INTO "{t}" VALUES ({",".join("?" * len(cols))})', vals)
            elif op < 0.8:
                con.execute(f'UPDATE "{t}" SET "{cols[-1]}" = ? WHERE rowid % ? = ?',
                            (f"u{self.n}", rng.randint(2, 9), rng.randint(0, 1)))
            else:
                con.execute(f'DELETE FROM "{t}" WHERE rowid % ? = 0', (rng.randint(5, 30),))
        ddl = rng.random()
        if ddl < 0.15:
            con.execute(f"ALTER TABLE a ADD COLUMN x{self.n} INT DEFAULT {rng.randint(0, 9)}")
        elif ddl < 0.25:
            con.execute(f"CREATE INDEX IF NOT EXISTS a_v{rng.randint(0, 2)} ON a(v)")
        elif ddl < 0.3:
            for (name,) in con.execute("SELECT name FROM sqlite_schema WHERE type='index' AND sql IS NOT NULL").fetchall():
                con.execute(f'DROP INDEX "{name}"')
        elif ddl < 0.4:
            con.execute(f"CREATE VIEW IF NOT EXISTS va{rng.randint(0, 2)} AS SELECT count(*) AS n FROM a")
        elif ddl < 0.45:
            con.execute("CREATE TRIGGER IF NOT EXISTS c_trg AFTER INSERT ON c BEGIN SELECT 1; END")
        elif ddl < 0.55:
            con.execute("DROP TABLE IF EXISTS d")
            con.execute("CREATE TABLE d (id INTEGER PRIMARY KEY, v TEXT)")
            con.execute("INSERT INTO d(v) VALUES (?), (?)", (f"d{self.n}", "e"))
        con.commit()
        con.close()


class IncrementalTest(CofreTestCase):
    def test_every_layer_restores_exactly(self):
        os.environ["COFRE_BACKUP_TARGET_FILE_BYTES"] = "2000"  # many spans: split, compaction
        # Several frames per file: diffs read back only the frames of the changed ranges.
        os.environ["COFRE_BACKUP_FRAME_BYTES"] = "300"
        try:
            for seed in range(4):
                with self.subTest(seed=seed):
                    self.run_chain(seed, layers=9, encrypted=(seed % 2 == 1))
        finally:
            del os.environ["COFRE_BACKUP_TARGET_FILE_BYTES"]
            del os.environ["COFRE_BACKUP_FRAME_BYTES"]

    def run_chain(self, seed, layers, encrypted):
        src = os.path.join(self.tmp, f"w{seed}.db")
        w = Workload(src, seed)
        self.ok(f"CREATE DATABASE w{seed} FROM FILE '{src}'")
        coll = f"nodelocal://1/chain{seed}"
        key = " WITH encryption_passphrase = 'pw'" if encrypted else ""
        states = []
        for layer in range(layers):
            if layer == 0:
                self.ok(f"BACKUP DATABASE w{seed} INTO '{coll}'{key}")
            else:
                # Some layers see no write: the previous layer is kept whole (file-state token),
                # and the write after it must still be seen.
                if layer % 3 != 2:
                    w.step()
                self.ok(f"BACKUP DATABASE w{seed} INTO LATEST IN '{coll}'{key}")
            states.append(dump_db(src))
        shown = self.rows(f"SHOW BACKUP FROM LATEST IN '{coll}'{key}")
        ends = []
        for row in shown:
            if row["object_type"] == "database":
                ends.append((row["backup_type"], row["end_time"], row["start_time"]))
        self.assertEqual(len(ends), layers)
        self.assertEqual(ends[0][0], "full")
        for i in range(1, layers):
            self.assertEqual(ends[i][0], "incremental")
            self.assertEqual(ends[i][2], ends[i - 1][1])  # start_time = previous end_time
        opt = ", encryption_passphrase = 'pw'" if encrypted else ""
        for i, (_, end, _) in enumerate(ends):
            name = f"r{seed}_{i}"
            self.ok(f"RESTORE DATABASE w{seed} FROM LATEST IN '{coll}' AS OF SYSTEM TIME '{end}' "
                    f"WITH new_db_name = '{name}'{opt}")
            self.assertEqual(dump_db(self.db_path(name)), states[i], f"layer {i}")
        latest = f"r{seed}_latest"
        self.ok(f"RESTORE DATABASE w{seed} FROM LATEST IN '{coll}' WITH new_db_name = '{latest}'{opt}")
        self.assertEqual(dump_db(self.db_path(latest)), states[-1])
        self.fails(f"RESTORE DATABASE w{seed} FROM LATEST IN '{coll}' AS OF SYSTEM TIME '2000-01-01 00:00:00' "
                   f"WITH new_db_name = 'zz'{opt}", contains="no layer")

    @ROW_DIGESTS
    def test_row_cache_serves_incrementals_and_is_only_ever_a_shortcut(self):
        """Incrementals compare changed ranges with the data directory's row digest cache
        (backup/row_cache.h) instead of reading the backup: every layer restores exactly, also
        after the cache was damaged or deleted (the backup is read then), and a layer taken
        with the cache reads no earlier layer's data file."""
        os.environ["COFRE_BACKUP_TARGET_FILE_BYTES"] = "40000"  # many spans
        try:
            src = os.path.join(self.tmp, "rc.db")
            con = sqlite3.connect(src)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, b BLOB)")
            con.execute("CREATE TABLE u (id INTEGER PRIMARY KEY, n INT)")
            con.executemany("INSERT INTO t VALUES (?, ?, ?)",
                            [(i, f"v{i}", os.urandom(i % 300)) for i in range(1, 6001)])
            con.executemany("INSERT INTO u VALUES (?, ?)", [(i, i) for i in range(1, 3001)])
            con.commit()
            con.close()
            self.ok(f"CREATE DATABASE rc FROM FILE '{src}'")
            coll = "nodelocal://1/rowcache"
            self.ok(f"BACKUP DATABASE rc INTO '{coll}'")
            cache = os.path.join(self.data, "cache", "rows")
            cache_files = lambda: sorted(f for f in os.listdir(cache) if f.endswith(".rowcache"))
            self.assertEqual(len(cache_files()), 1)
            root = next(d for d, _, files in os.walk(self.tmp)
                        if "LATEST" in files and os.path.basename(d) == "rowcache")
            rng = random.Random(11)
            states = [dump_db(src)]
            for layer in range(1, 15):
                con = sqlite3.connect(src)
                for _ in range(rng.randint(1, 40)):
                    op, k = rng.random(), rng.randint(1, 7000)
                    if op < 0.5:
                        con.execute("UPDATE t SET v = ? WHERE id = ?", (f"u{layer}.{k}", k))
                    elif op < 0.65:
                        con.execute("DELETE FROM t WHERE id BETWEEN ? AND ?", (k, k + rng.randint(0, 30)))
                    elif op < 0.8:
                        # an overflow chain, new or replaced
                        con.execute("INSERT OR REPLACE INTO t VALUES (?, 'big', ?)",
                                    (k, os.urandom(rng.randint(4000, 9000))))
                    elif op < 0.9:
                        con.execute("INSERT INTO t(v, b) VALUES ('new', ?)", (os.urandom(50),))
                    else:
                        con.execute("UPDATE u SET n = n + 1 WHERE id % ? = 0", (rng.randint(50, 400),))
                con.commit()
                if layer == 6:
                    con.execute("VACUUM")
                con.close()
                if layer == 4:
                    # Damage every segment area of the cache: the damaged entries are never
                    # trusted (the spans that need them are written again).
                    for name in cache_files():
                        path = os.path.join(cache, name)
                        size = os.path.getsize(path)
                        with open(path, "r+b") as f:
                            for at in range(64, size - 4096, 997):
                                f.seek(at)
                                f.write(b"\xff")
                if layer == 9:
                    shutil.rmtree(cache)
                hidden = []
                if layer in (2, 3, 7, 12):
                    # Earlier layers' data files out of reach: this incremental needs none.
                    for d, dirs, _ in os.walk(root):
                        if os.path.basename(d) == "data":
                            os.rename(d, d + ".away")
                            hidden.append(d)
                try:
                    self.ok(f"BACKUP DATABASE rc INTO LATEST IN '{coll}'")
                finally:
                    for d in hidden:
                        os.rename(d + ".away", d)
                states.append(dump_db(src))
                self.assertLessEqual(len(cache_files()), 8, cache_files())
            ends = [r["end_time"] for r in self.rows(f"SHOW BACKUP FROM LATEST IN '{coll}'")
                    if r["object_type"] == "database"]
            self.assertEqual(len(ends), len(states))
            for i, end in enumerate(ends):
                self.ok(f"RESTORE DATABASE rc FROM LATEST IN '{coll}' AS OF SYSTEM TIME '{end}' "
                        f"WITH new_db_name = 'rc{i}'")
                self.assertEqual(dump_db(self.db_path(f"rc{i}")), states[i], f"layer {i}")
        finally:
            del os.environ["COFRE_BACKUP_TARGET_FILE_BYTES"]

    @ROW_DIGESTS
    def test_cell_digests_read_only_the_rows_that_changed(self):
        """With the row digest cache, an incremental compares the cells of the changed leaves
        with the cached cell digests (backup/cell_digests.h) and reads through SQLite only the
        rows that differ, appeared or went: the job's status says how many rows it read. Every
        layer of a random workload (in-place and growing updates that split pages, deletes, rows
        inserted into gaps, overflow chains, VACUUM, both journal modes) restores exactly, and
        each incremental reads no more rows than were touched (plus the ones that moved with an
        overflow chain), and at least every row whose content changed."""
        for mode in ("wal", "delete"):
            with self.subTest(mode=mode):
                src = os.path.join(self.tmp, f"cells_{mode}.db")
                con = sqlite3.connect(src)
                con.execute(f"PRAGMA journal_mode={mode}")
                con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, n INT, b BLOB)")
                con.execute("CREATE TABLE u (id INTEGER PRIMARY KEY, w TEXT)")
                con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)",
                                [(i * 3, f"v{i}", i, os.urandom(i % 90)) for i in range(1, 8001)])
                con.executemany("INSERT INTO u VALUES (?, ?)", [(i, "w" * (i % 50)) for i in range(1, 3001)])
                con.commit()
                con.close()
                db = f"cells_{mode}"
                self.ok(f"CREATE DATABASE {db} FROM FILE '{src}'")
                coll = f"nodelocal://1/cells_{mode}"
                self.ok(f"BACKUP DATABASE {db} INTO '{coll}'")
                rng = random.Random(5 if mode == "wal" else 6)
                states = [dump_db(src)]
                for layer in range(1, 9):
                    con = sqlite3.connect(src)
                    touched, changed = set(), set()
                    for _ in range(rng.randint(5, 60)):
                        op, k = rng.random(), rng.randint(1, 8000) * 3
                        if op < 0.35:  # in place
                            con.execute("UPDATE t SET n = n + 1 WHERE id = ?", (k,))
                            touched.add(("t", k)), changed.add(("t", k))
                        elif op < 0.55:  # growing: the leaf splits, its other rows move
                            con.execute("UPDATE t SET v = v || ? WHERE id = ?", ("x" * 300, k))
                            touched.add(("t", k)), changed.add(("t", k))
                        elif op < 0.7:
                            con.execute("DELETE FROM t WHERE id = ?", (k,))
                            touched.add(("t", k))
                        elif op < 0.85:  # into the gap between two rows
                            con.execute("INSERT OR IGNORE INTO t VALUES (?, 'gap', 0, x'00')", (k + 1,))
                            touched.add(("t", k + 1))
                        elif op < 0.93:  # an overflow chain, new or replaced
                            con.execute("INSERT OR REPLACE INTO t VALUES (?, 'big', 1, ?)",
                                        (k, os.urandom(rng.randint(5000, 9000))))
                            touched.add(("t", k)), changed.add(("t", k))
                        else:
                            j = rng.randint(1, 3000)
                            con.execute("UPDATE u SET w = w || 'y' WHERE id = ?", (j,))
                            touched.add(("u", j)), changed.add(("u", j))
                    con.commit()
                    if layer == 4:
                        con.execute("VACUUM")  # every page rewritten, every cell the same
                    con.close()
                    self.ok(f"BACKUP DATABASE {db} INTO LATEST IN '{coll}'")
                    states.append(dump_db(src))
                    status = self.rows("SELECT running_status FROM [SHOW JOBS] "
                                       "WHERE job_type = 'BACKUP' ORDER BY created DESC LIMIT 1")
                    m = re.search(r"; read (\d+) of (\d+) rows", status[0]["running_status"])
                    self.assertIsNotNone(m, status)
                    read = int(m.group(1))
                    # Rows with overflow chains are read whenever their leaf changes.
                    big = sqlite3.connect(src).execute(
                        "SELECT count(*) FROM t WHERE length(b) > 3000").fetchone()[0]
                    self.assertLessEqual(read, len(touched) + big, f"layer {layer}")
                    self.assertGreaterEqual(read, len(changed), f"layer {layer}")
                ends = [r["end_time"] for r in self.rows(f"SHOW BACKUP FROM LATEST IN '{coll}'")
                        if r["object_type"] == "database"]
                self.assertEqual(len(ends), len(states))
                for i, end in enumerate(ends):
                    self.ok(f"RESTORE DATABASE {db} FROM LATEST IN '{coll}' AS OF SYSTEM TIME '{end}' "
                            f"WITH new_db_name = 'c{mode}{i}'")
                    self.assertEqual(dump_db(self.db_path(f"c{mode}{i}")), states[i], f"layer {i}")

    def test_layer_is_the_same_on_one_thread_or_several(self):
        # Incrementals diff their spans on several threads, each on its own snapshot reader: the
        # layer must list the same spans, files, rows and bytes, in key order, as one thread writes,
        # whichever thread finishes first; tables that are new or redefined are cut into pieces.
        src = os.path.join(self.tmp, "par.db")
        w = Workload(src, 11)
        self.ok(f"CREATE DATABASE par FROM FILE '{src}'")
        env = {"COFRE_BACKUP_TARGET_FILE_BYTES": "1500", "COFRE_BACKUP_MIN_PIECE_ROWS": "20"}
        os.environ.update(env)

        def backup(coll, threads, incremental):
            os.environ["COFRE_BACKUP_THREADS"] = str(threads)
            into = f"LATEST IN '{coll}'" if incremental else f"'{coll}'"
            self.ok(f"BACKUP DATABASE par INTO {into} WITH encryption_passphrase = 'pw'")

        def layer_files(coll):
            files = self.rows(f"SHOW BACKUP FILES FROM LATEST IN '{coll}' "
                              "WITH encryption_passphrase = 'pw'")
            return [(f["backup_type"], f["start_pretty"], f["end_pretty"], f["size_bytes"],
                     f["rows"]) for f in files]
        try:
            for coll in ("nodelocal://1/one", "nodelocal://1/four"):
                backup(coll, 2, incremental=False)  # the same full backup in both
            for step in range(5):
                w.step(120)
                backup("nodelocal://1/one", 1, incremental=True)
                backup("nodelocal://1/four", 4, incremental=True)
                one, four = layer_files("nodelocal://1/one"), layer_files("nodelocal://1/four")
                self.assertEqual(one, four, step)
                self.assertGreater(sum(1 for f in four if f[0] == "incremental"), 5, four)
            expected = dump_db(src)
            for coll, name in (("nodelocal://1/one", "r1"), ("nodelocal://1/four", "r4")):
                self.ok(f"RESTORE DATABASE par FROM LATEST IN '{coll}' "
                        f"WITH new_db_name = '{name}', encryption_passphrase = 'pw'")
                self.assertEqual(dump_db(self.db_path(name)), expected, coll)
        finally:
            for k in list(env) + ["COFRE_BACKUP_THREADS"]:
                os.environ.pop(k, None)

    def test_incremental_location(self):
        self.ok("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
                "INSERT INTO t VALUES (1, 'a'), (2, 'b')",
                "BACKUP INTO 'nodelocal://1/base' WITH encryption_passphrase = 'pw'",
                "UPDATE t SET v = 'c' WHERE id = 2", "INSERT INTO t VALUES (3, 'd')",
                "BACKUP INTO LATEST IN 'nodelocal://1/base' WITH encryption_passphrase = 'pw', "
                "incremental_location = 'nodelocal://1/inc'")
        base = os.path.join(self.data, "extern", "base")
        inc = os.path.join(self.data, "extern", "inc")
        self.assertFalse(os.path.exists(os.path.join(base, "incrementals")))
        manifests = [r for r, _, fs in os.walk(inc) for f in fs if f == "BACKUP_MANIFEST"]
        self.assertEqual(len(manifests), 1)
        opts = "WITH encryption_passphrase = 'pw', incremental_location = 'nodelocal://1/inc'"
        layers = {r["backup_type"] for r in self.rows(f"SHOW BACKUP FROM LATEST IN 'nodelocal://1/base' {opts}")}
        self.assertEqual(layers, {"full", "incremental"})
        self.ok(f"RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/base' {opts}, new_db_name = 'r'")
        self.assertEqual(self.rows("SELECT v FROM r.t ORDER BY id"), [{"v": "a"}, {"v": "c"}, {"v": "d"}])
        # Without incremental_location only the full backup is seen, as in CockroachDB.
        self.ok("RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/base' "
                "WITH encryption_passphrase = 'pw', new_db_name = 'f'")
        self.assertEqual(self.rows("SELECT v FROM f.t ORDER BY id"), [{"v": "a"}, {"v": "b"}])

    def test_long_chain_of_100_layers(self):
        self.ok("CREATE TABLE t (id INTEGER PRIMARY KEY, v INT)",
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 500) "
                "INSERT INTO t SELECT x, 0 FROM c",
                "BACKUP DATABASE defaultdb INTO 'nodelocal://1/long'")
        for i in range(1, 101):
            self.ok(f"UPDATE t SET v = v + 1 WHERE id % 100 = {i % 100}",
                    f"INSERT INTO t VALUES ({1000 + i}, {i})",
                    f"DELETE FROM t WHERE id = {i * 3}",
                    "BACKUP DATABASE defaultdb INTO LATEST IN 'nodelocal://1/long'")
        expected = table_dump(self.db_path("defaultdb"), "t")
        self.ok("RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/long' WITH new_db_name = 'r'")
        self.assertEqual(table_dump(self.db_path("r"), "t"), expected)
        layers = {r["end_time"] for r in self.rows("SHOW BACKUP FROM LATEST IN 'nodelocal://1/long'")}
        self.assertEqual(len(layers), 101)

    def test_chain_encryption_rules(self):
        self.ok("CREATE TABLE t (x)", "INSERT INTO t VALUES (1)",
                "BACKUP INTO 'nodelocal://1/enc' WITH encryption_passphrase = 'right'",
                "BACKUP INTO 'nodelocal://1/plain'")
        enc_dir = os.path.join(self.data, "extern", "enc")

        def files():
            return sorted(os.path.join(r, f) for r, _, fs in os.walk(enc_dir) for f in fs)
        before = files()
        self.fails("BACKUP INTO LATEST IN 'nodelocal://1/enc' WITH encryption_passphrase = 'other'",
                   contains="passphrase is wrong")
        self.fails("BACKUP INTO LATEST IN 'nodelocal://1/enc'", contains="is encrypted")
        self.assertEqual(files(), before)  # nothing written
        self.fails("BACKUP INTO LATEST IN 'nodelocal://1/plain' WITH encryption_passphrase = 'x'",
                   contains="is not encrypted")
        self.ok("INSERT INTO t VALUES (2)",
                "BACKUP INTO LATEST IN 'nodelocal://1/enc' WITH encryption_passphrase = 'right'")
        self.ok("RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/enc' "
                "WITH encryption_passphrase = 'right', new_db_name = 'r'")
        self.assertEqual(self.rows("SELECT count(*) AS n FROM r.t"), [{"n": 2}])

    def test_targets_must_match(self):
        self.ok("CREATE TABLE t (x)", "CREATE TABLE u (y)", "CREATE DATABASE other",
                "BACKUP TABLE t INTO 'nodelocal://1/tm'")
        self.fails("BACKUP TABLE u INTO LATEST IN 'nodelocal://1/tm'", contains="targets")
        self.fails("BACKUP DATABASE defaultdb INTO LATEST IN 'nodelocal://1/tm'", contains="targets")
        self.ok("BACKUP TABLE t INTO LATEST IN 'nodelocal://1/tm'")

    def test_incremental_cost_after_one_percent_change(self):
        self.ok("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT)",
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 100000) "
                "INSERT INTO t SELECT x, hex(randomblob(40)), x FROM c",
                "BACKUP INTO 'nodelocal://1/cost'",
                "UPDATE t SET b = -b WHERE id % 100 = 7",
                "BACKUP INTO LATEST IN 'nodelocal://1/cost'")
        files = self.rows("SHOW BACKUP FILES FROM LATEST IN 'nodelocal://1/cost'")
        full = sum(f["file_bytes"] for f in files if f["backup_type"] == "full")
        inc = sum(f["file_bytes"] for f in files if f["backup_type"] == "incremental")
        self.assertGreater(inc, 0)
        self.assertLess(inc / full, 0.03, (inc, full))

    def test_add_column_stores_the_schema_change(self):
        # SQLite does not rewrite rows on ALTER TABLE ADD COLUMN: neither does the incremental
        # after it. Rows stored before read the new columns' defaults, as SQLite reads them
        # (affinity applied), in every layer, through both restore paths (rowid tables load
        # b-tree pages directly, WITHOUT ROWID ones through SQLite) and in a verify.
        src = os.path.join(self.tmp, "ac.db")
        con = sqlite3.connect(src)
        con.executescript("""
            CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b REAL);
            CREATE TABLE w (k TEXT PRIMARY KEY, v INT) WITHOUT ROWID;
            WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 30000)
            INSERT INTO t SELECT x, hex(randomblob(30)), x / 7.0 FROM c;
            WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 5000)
            INSERT INTO w SELECT printf('k%06d', x), x FROM c;
        """)
        con.commit()
        con.close()
        self.ok(f"CREATE DATABASE ac FROM FILE '{src}'")
        coll = "nodelocal://1/addcol"
        self.ok(f"BACKUP DATABASE ac INTO '{coll}'")
        states = [{t: table_dump(src, t) for t in ("t", "w")}]
        steps = [
            ["ALTER TABLE t ADD COLUMN c TEXT DEFAULT 'x''y'",
             "ALTER TABLE t ADD COLUMN d INTEGER DEFAULT -7",
             "ALTER TABLE t ADD COLUMN e REAL DEFAULT 2",
             "ALTER TABLE t ADD COLUMN f BLOB DEFAULT x'00ff'",
             "ALTER TABLE t ADD COLUMN g",
             "ALTER TABLE t ADD COLUMN h INT NOT NULL DEFAULT '12'",
             "ALTER TABLE t ADD COLUMN i TEXT DEFAULT 5",
             "ALTER TABLE w ADD COLUMN z NUMERIC DEFAULT '1.0'",
             "UPDATE t SET c = 'new', d = NULL WHERE id % 1000 = 3",
             "INSERT INTO t(id, a) VALUES (40000, 'added')",
             "DELETE FROM w WHERE v % 999 = 1"],
            ["ALTER TABLE t ADD COLUMN j TEXT DEFAULT 'later'",
             "UPDATE t SET j = 'set' WHERE id % 2000 = 5",
             "UPDATE w SET z = 3 WHERE v % 1000 = 2"],
            ["UPDATE t SET e = 1 WHERE id % 3000 = 8"],
        ]
        sizes = []
        for step in steps:
            con = sqlite3.connect(src)
            for sql in step:
                con.execute(sql)
            con.commit()
            con.close()
            self.ok(f"BACKUP DATABASE ac INTO LATEST IN '{coll}'")
            states.append({t: table_dump(src, t) for t in ("t", "w")})
            files = self.rows(f"SHOW BACKUP FILES FROM LATEST IN '{coll}'")
            sizes.append(sum(f["file_bytes"] for f in files))
        full = sum(f["file_bytes"] for f in self.rows(f"SHOW BACKUP FILES FROM LATEST IN '{coll}'")
                   if f["backup_type"] == "full")
        # Each incremental stores the changed rows only: a few % of the full, not every row again.
        growth = [sizes[0] - full] + [sizes[i] - sizes[i - 1] for i in range(1, len(sizes))]
        for g in growth:
            self.assertLess(g / full, 0.03, (growth, full))
        ends = [r["end_time"] for r in self.rows(f"SHOW BACKUP FROM LATEST IN '{coll}'")
                if r["object_type"] == "database"]
        self.assertEqual(len(ends), len(states))
        for i, end in enumerate(ends):
            name = f"ac{i}"
            self.ok(f"RESTORE DATABASE ac FROM LATEST IN '{coll}' AS OF SYSTEM TIME '{end}' "
                    f"WITH new_db_name = '{name}'")
            got = {t: table_dump(self.db_path(name), t) for t in ("t", "w")}
            self.assertEqual(got, states[i], f"layer {i}")
        # Types as SQLite reads them (12 stays an integer, 5 becomes the text '5').
        row = sqlite3.connect(self.db_path(f"ac{len(states) - 1}")).execute(
            "SELECT typeof(c), typeof(d), typeof(e), typeof(f), typeof(g), typeof(h), typeof(i), "
            "h, i FROM t WHERE id = 1").fetchone()
        self.assertEqual(row, ("text", "integer", "real", "blob", "null", "integer", "text", 12, "5"))
        self.ok(f"RESTORE DATABASE ac FROM LATEST IN '{coll}' WITH schema_only, verify_backup_table_data")

    def test_changes_inside_one_large_span_restore_exactly(self):
        # One 32 MiB span holds the whole table: the change detector proves most of its leaf
        # groups unchanged, and only the others are scanned and compared. Random changes of
        # every kind (scattered updates, a deleted range, rows inserted into gaps and at the end,
        # rows grown into overflow chains, a VACUUM), every layer restored and compared.
        src = os.path.join(self.tmp, "big.db")
        con = sqlite3.connect(src)
        con.execute("PRAGMA journal_mode=WAL")
        con.executescript("""
            CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b BLOB);
            WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 60000)
            INSERT INTO t SELECT x * 2, hex(randomblob(40)), randomblob(x % 90) FROM c;
        """)
        con.commit()
        con.close()
        self.ok(f"CREATE DATABASE big FROM FILE '{src}'")
        coll = "nodelocal://1/bigspan"
        # Frames of 64 KiB (about 600 rows): a change reads back only the frames of its leaf
        # groups, from an encrypted chain (each chunk read is authenticated on its own), and
        # leaves each frame once its ranges end (after a 32 KiB step of its content).
        os.environ["COFRE_BACKUP_FRAME_BYTES"] = "65536"
        self.addCleanup(os.environ.pop, "COFRE_BACKUP_FRAME_BYTES", None)
        key = " WITH encryption_passphrase = 'pw'"
        self.ok(f"BACKUP DATABASE big INTO '{coll}'{key}")
        states = [table_dump(src, "t")]
        rng = random.Random(7)
        for layer in range(6):
            con = sqlite3.connect(src)
            for _ in range(rng.randint(1, 30)):
                con.execute("UPDATE t SET a = ? WHERE id = ?", (f"u{layer}", 2 * rng.randint(1, 60000)))
            lo = 2 * rng.randint(1, 55000)
            # Some layers delete whole leaf groups (about 1,700 rows each) between unchanged ones.
            width = 8000 if layer % 2 else rng.randint(0, 300)
            con.execute("DELETE FROM t WHERE id BETWEEN ? AND ?", (lo, lo + width))
            for _ in range(rng.randint(0, 20)):
                con.execute("INSERT OR REPLACE INTO t VALUES (?, 'gap', NULL)", (2 * rng.randint(1, 60000) + 1,))
            con.execute("INSERT INTO t(a) VALUES ('end')")
            con.execute("UPDATE t SET b = randomblob(9000) WHERE id = ?", (2 * rng.randint(1, 60000),))
            con.commit()
            if layer == 3:
                con.execute("VACUUM")
            con.close()
            self.ok(f"BACKUP DATABASE big INTO LATEST IN '{coll}'{key}")
            states.append(table_dump(src, "t"))
        files = self.rows(f"SHOW BACKUP FILES FROM LATEST IN '{coll}'{key}")
        full = sum(f["file_bytes"] for f in files if f["backup_type"] == "full")
        inc = sum(f["file_bytes"] for f in files if f["backup_type"] == "incremental")
        self.assertLess(inc / full, 0.2, (inc, full))
        ends = [r["end_time"] for r in self.rows(f"SHOW BACKUP FROM LATEST IN '{coll}'{key}")
                if r["object_type"] == "database"]
        self.assertEqual(len(ends), len(states))
        for i, end in enumerate(ends):
            self.ok(f"RESTORE DATABASE big FROM LATEST IN '{coll}' AS OF SYSTEM TIME '{end}' "
                    f"WITH new_db_name = 'big{i}', encryption_passphrase = 'pw'")
            self.assertEqual(table_dump(self.db_path(f"big{i}"), "t"), states[i], f"layer {i}")

    def test_leaf_maps_are_keyed_per_data_directory(self):
        # An unencrypted chain's leaf digests are keyed with the writing data directory's node
        # key: the stored maps say so (digest KEYED_GMAC, field 4 = 1; a 16-byte key check,
        # field 5), a second data directory continuing the chain has another key and diffs every
        # row once, and each layer restores exactly whichever directory wrote it.
        src = os.path.join(self.tmp, "keyed.db")
        con = sqlite3.connect(src)
        con.executescript("""
            CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);
            WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 20000)
            INSERT INTO t SELECT x, hex(randomblob(30)) FROM c;
        """)
        con.commit()
        con.close()
        other = os.path.join(self.tmp, "other-data")
        for data in (self.data, other):
            self.ok(f"CREATE DATABASE keyed FROM FILE '{src}'", data=data)
        coll = os.path.join(self.tmp, "shared-coll")
        uri = f"file://{coll}"
        states = []

        def layer(data, sql):
            c = sqlite3.connect(src)
            c.executescript(sql)
            c.commit()
            c.close()
            latest = " LATEST IN" if states else ""
            self.ok(f"BACKUP DATABASE keyed INTO{latest} '{uri}'", data=data)
            states.append(table_dump(src, "t"))

        layer(self.data, "")
        layer(self.data, "UPDATE t SET a = 'one' WHERE id % 1000 = 3")
        layer(other, "UPDATE t SET a = 'two' WHERE id % 1000 = 5")
        layer(other, "DELETE FROM t WHERE id BETWEEN 100 AND 200")
        checks = []
        for root, _, names in sorted(os.walk(coll)):
            if "LEAF_MAPS" in names:
                with open(os.path.join(root, "LEAF_MAPS"), "rb") as f:
                    body = f.read()
                at = body.find(b"\x20\x01\x2a\x10")
                self.assertGreaterEqual(at, 0, root)
                checks.append((os.path.getmtime(os.path.join(root, "LEAF_MAPS")), body[at + 4:at + 20]))
        checks = [c for _, c in sorted(checks)]
        self.assertEqual(len(checks), 4)
        self.assertEqual(checks[0], checks[1])
        self.assertEqual(checks[2], checks[3])
        self.assertNotEqual(checks[1], checks[2])
        ends = [r["end_time"] for r in self.rows(f"SHOW BACKUP FROM LATEST IN '{uri}'")
                if r["object_type"] == "database"]
        self.assertEqual(len(ends), len(states))
        for i, end in enumerate(ends):
            self.ok(f"RESTORE DATABASE keyed FROM LATEST IN '{uri}' AS OF SYSTEM TIME '{end}' "
                    f"WITH new_db_name = 'keyed{i}'")
            self.assertEqual(table_dump(self.db_path(f"keyed{i}"), "t"), states[i], f"layer {i}")

    def test_unchanged_file_is_kept_and_any_change_is_seen(self):
        # An incremental of a file nobody wrote since the previous layer keeps that layer whole
        # (engine/file_state.h); every change by another SQLite client after such a layer must
        # still be in the next one: an in-place update of the same size with its modification
        # time set back, commits left in a WAL another connection holds open, a checkpoint, a
        # WAL reset, VACUUM, a switch of journal mode. Each layer is restored and compared.
        for mode in ("wal", "delete"):
            with self.subTest(mode=mode):
                self.unchanged_file_chain(mode)

    def unchanged_file_chain(self, mode):
        src = os.path.join(self.tmp, f"quiet_{mode}.db")
        con = sqlite3.connect(src)
        con.execute(f"PRAGMA journal_mode={mode}")
        con.executescript("""
            CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b BLOB);
            CREATE TABLE k (x TEXT PRIMARY KEY, y INT) WITHOUT ROWID;
            WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 3000)
            INSERT INTO t SELECT x, printf('%08d', x), randomblob(x % 50) FROM c;
            INSERT INTO k SELECT a, id FROM t WHERE id <= 500;
        """)
        con.commit()
        con.close()
        db = f"quiet_{mode}"
        self.ok(f"CREATE DATABASE {db} FROM FILE '{src}'")
        coll = f"nodelocal://1/quiet_{mode}"
        holder = None

        def change(sql, keep_mtime=False):
            st = os.stat(src)
            c = sqlite3.connect(src)
            c.executescript(sql)
            c.commit()
            c.close()
            if keep_mtime:
                os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))

        steps = [
            ("full", None),
            ("nothing", None),
            ("same-size update, mtime set back",
             lambda: change("UPDATE t SET a = printf('%08d', id + 1) WHERE id = 1777", True)),
            ("nothing", None),
            ("delete + insert into k", lambda: change(
                "DELETE FROM k WHERE y % 7 = 0; INSERT INTO k VALUES ('zz', 1)")),
            ("nothing", None),
            ("VACUUM", lambda: change("DELETE FROM t WHERE id % 5 = 0; VACUUM")),
            ("nothing", None),
        ]
        if mode == "wal":
            def hold():
                nonlocal holder
                holder = sqlite3.connect(src, isolation_level=None)
                holder.execute("PRAGMA wal_autocheckpoint = 0")
                holder.execute("UPDATE t SET a = 'held' WHERE id = 10")

            def commit_more():
                holder.execute("UPDATE t SET a = 'held2' WHERE id = 11")

            def checkpoint():
                holder.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                holder.execute("UPDATE t SET a = 'after reset' WHERE id = 12")

            def release():
                holder.close()

            steps += [("commit left in an open WAL", hold), ("nothing", None),
                      ("another commit in that WAL", commit_more),
                      ("checkpoint and WAL reset", checkpoint), ("nothing", None),
                      ("writer closed", release), ("nothing", None),
                      ("switched to DELETE", lambda: change(
                          "PRAGMA journal_mode=DELETE; UPDATE t SET b = NULL WHERE id = 13"))]
        else:
            steps += [("switched to WAL", lambda: change(
                "PRAGMA journal_mode=WAL; UPDATE t SET b = NULL WHERE id = 13"))]
        steps += [("nothing", None)]
        states = []
        for name, step in steps:
            if step:
                step()  # each snapshot waits out the racy window of such a fresh change itself
            verb = f"INTO '{coll}'" if name == "full" else f"INTO LATEST IN '{coll}'"
            self.ok(f"BACKUP DATABASE {db} {verb}")
            states.append((name, dump_db(src)))
        ends = [r["end_time"] for r in self.rows(f"SHOW BACKUP FROM LATEST IN '{coll}'")
                if r["object_type"] == "database"]
        self.assertEqual(len(ends), len(states))
        for i, (end, (name, state)) in enumerate(zip(ends, states)):
            self.ok(f"RESTORE DATABASE {db} FROM LATEST IN '{coll}' AS OF SYSTEM TIME '{end}' "
                    f"WITH new_db_name = '{db}_{i}'")
            self.assertEqual(dump_db(self.db_path(f"{db}_{i}")), state, f"layer {i}: {name}")

    def test_incremental_on_a_legacy_chain_with_digest_files(self):
        # Chains written by cofre 0.1 carry row digest files (data/<n>.cfg) beside their BASE
        # files; incrementals ignore them and read each span's previous state back instead.
        for name, pw in (("passphrase-v1", "golden-passphrase"), ("plain-v1", None)):
            with self.subTest(name):
                data = os.path.join(self.tmp, name)
                self.ok("SELECT 1", data=data)
                coll = os.path.join(data, "extern", "golden")
                shutil.copytree(os.path.join(GOLDEN, name, "collection"), coll)
                legacy = sorted(os.path.relpath(os.path.join(r, f), coll)
                                for r, _, fs in os.walk(coll) for f in fs if f.endswith(".cfg"))
                self.assertTrue(legacy, "the golden backups hold digest files")
                opt = f" WITH encryption_passphrase = '{pw}'" if pw else ""
                ropt = f", encryption_passphrase = '{pw}'" if pw else ""
                self.ok(f"RESTORE FROM LATEST IN 'nodelocal://1/golden'{opt}", data=data)
                steps = [
                    # kinds: 1 update, 1 insert (its trigger adds an audit row), 1 delete;
                    # pairs (WITHOUT ROWID, text key): 1 update, 1 delete, 1 insert; notes: 1 update.
                    (["UPDATE goldendb.kinds SET t = 'changed' WHERE id = 2",
                      "INSERT INTO goldendb.kinds (id, i) VALUES (8, 8)",
                      "DELETE FROM goldendb.kinds WHERE id = 7",
                      "UPDATE goldendb.pairs SET v = 'uno' WHERE k = 'a' AND n = 1",
                      "DELETE FROM goldendb.pairs WHERE k = 'b'",
                      "INSERT INTO goldendb.pairs VALUES ('ab', 0, 'new')",
                      "UPDATE defaultdb.notes SET created = 0 WHERE body = 'first note'"], 8),
                    # On top of the legacy base and the new delta.
                    (["DELETE FROM goldendb.kinds WHERE id = 8",
                      "INSERT INTO goldendb.kinds (id, i) VALUES (7, 77)",
                      "DELETE FROM goldendb.pairs WHERE k = 'ab'",
                      "INSERT INTO goldendb.pairs VALUES ('b', -1, X'FE')"], 5),
                ]
                for i, (stmts, records) in enumerate(steps):
                    self.ok(*stmts, data=data)
                    self.ok(f"BACKUP INTO LATEST IN 'nodelocal://1/golden'{opt}", data=data)
                    files = self.rows(f"SHOW BACKUP FILES FROM LATEST IN 'nodelocal://1/golden'{opt}",
                                      data=data)
                    inc = [f for f in files if f["backup_type"] == "incremental"]
                    newest = max(f["path"].split("/data/")[0] for f in inc)
                    layer = [f for f in inc if f["path"].startswith(newest + "/data/")]
                    # Only the changed rows and tombstones: no span was rewritten in full.
                    self.assertEqual(sum(f["rows"] for f in layer), records, layer)
                    for db in ("goldendb", "defaultdb"):
                        target = f"r{i}_{db}"
                        self.ok(f"RESTORE DATABASE {db} FROM LATEST IN 'nodelocal://1/golden' "
                                f"WITH new_db_name = '{target}'{ropt}", data=data)
                        self.assertEqual(dump_any_db(self.db_path(target, data)),
                                         dump_any_db(self.db_path(db, data)), (i, db))
                        # Out of the cluster's next backup.
                        self.ok(f"DROP DATABASE {target} CASCADE", data=data)
                now = sorted(os.path.relpath(os.path.join(r, f), coll)
                             for r, _, fs in os.walk(coll) for f in fs if f.endswith(".cfg"))
                self.assertEqual(now, legacy, "no digest file is written any more")

    def test_keys_with_collations_and_mixed_types(self):
        # WITHOUT ROWID keys ordered by NOCASE / RTRIM collations, and an untyped key column holding
        # numbers, text and blobs: the previous state is merged in SQLite's order, not byte order.
        self.ok("CREATE TABLE n (k TEXT COLLATE NOCASE PRIMARY KEY, v) WITHOUT ROWID",
                "CREATE TABLE r (k TEXT COLLATE RTRIM, j, v, PRIMARY KEY (k, j)) WITHOUT ROWID",
                "CREATE TABLE m (k PRIMARY KEY, v) WITHOUT ROWID",
                # Scan order (BINARY column) differs from key identity (NOCASE): rewritten in full.
                "CREATE TABLE x (k TEXT, v, PRIMARY KEY (k COLLATE NOCASE)) WITHOUT ROWID",
                "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 300) "
                "INSERT INTO n SELECT CASE i % 3 WHEN 0 THEN upper(hex(i)) ELSE 'k' || i END, i FROM c",
                "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 300) "
                "INSERT INTO r SELECT 'k' || (i % 50) || substr('   ', 1, i % 3), i, i FROM c",
                "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 300) "
                "INSERT INTO m SELECT CASE i % 4 WHEN 0 THEN i WHEN 1 THEN i + 0.5 WHEN 2 THEN 't' || i "
                "ELSE CAST('b' || i AS BLOB) END, i FROM c",
                "INSERT INTO x SELECT k, v FROM n",
                "BACKUP DATABASE defaultdb INTO 'nodelocal://1/coll'")
        for step in range(3):
            self.ok(f"UPDATE n SET v = v + 1 WHERE v % 37 = {step}",
                    f"DELETE FROM n WHERE v % 41 = {step}",
                    f"INSERT OR REPLACE INTO n VALUES ('K{step}', -1), ('zz{step}', -2)",
                    f"UPDATE r SET v = -v WHERE j % 29 = {step}",
                    f"DELETE FROM r WHERE j % 31 = {step}",
                    f"INSERT OR REPLACE INTO r VALUES ('k1  ', {1000 + step}, 0)",
                    f"UPDATE m SET v = v * 2 WHERE v % 23 = {step}",
                    f"DELETE FROM m WHERE v % 19 = {step}",
                    f"INSERT OR REPLACE INTO m VALUES ({step}.25, 0), ({10 ** 15 + step}, 0), (x'00{step:02d}', 0)",
                    f"UPDATE x SET v = v + 1 WHERE v % 37 = {step}",
                    "BACKUP DATABASE defaultdb INTO LATEST IN 'nodelocal://1/coll'")
            self.ok("DROP DATABASE IF EXISTS r2 CASCADE",
                    "RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/coll' WITH new_db_name = 'r2'")
            for t in ("n", "r", "m", "x"):
                self.assertEqual(table_dump(self.db_path("r2"), t),
                                 table_dump(self.db_path("defaultdb"), t), (step, t))
        files = self.rows("SHOW BACKUP FILES FROM LATEST IN 'nodelocal://1/coll'")
        inc_rows = {}
        for f in files:
            if f["backup_type"] == "incremental":
                self.assertEqual(f["start_pretty"].split("/")[1], "defaultdb")
                t = f["start_pretty"].split("/")[2]
                inc_rows[t] = inc_rows.get(t, 0) + f["rows"]
        for t in ("n", "r", "m"):  # deltas only: a few changed rows per layer
            self.assertLess(inc_rows.get(t, 0), 120, (t, inc_rows))
        self.assertGreater(inc_rows.get("x", 0), 250, inc_rows)  # rewritten each layer

    def test_tampered_layer_is_detected(self):
        self.ok("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 3000) "
                "INSERT INTO t SELECT x, 'v' || x FROM c",
                "BACKUP INTO 'nodelocal://1/tl' WITH encryption_passphrase = 'k'",
                "UPDATE t SET v = 'w' WHERE id % 10 = 0",
                "BACKUP INTO LATEST IN 'nodelocal://1/tl' WITH encryption_passphrase = 'k'")
        root = os.path.join(self.data, "extern", "tl", "incrementals")
        deltas = [os.path.join(r, f) for r, _, fs in os.walk(root) for f in fs if f.endswith(".cfd")]
        self.assertEqual(len(deltas), 1)
        original = open(deltas[0], "rb").read()
        for mutate in (lambda b: b[:-1], lambda b: b[:100] + bytes([b[100] ^ 1]) + b[101:], lambda b: b + b"x"):
            with open(deltas[0], "wb") as f:
                f.write(mutate(original))
            self.fails("RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/tl' "
                       "WITH encryption_passphrase = 'k', new_db_name = 'r'",
                       contains=os.path.relpath(deltas[0], os.path.join(self.data, "extern", "tl")))
            self.assertNotIn("r", [d["database_name"] for d in self.rows("SHOW DATABASES")])
        with open(deltas[0], "wb") as f:
            f.write(original)
        self.ok("RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/tl' "
                "WITH encryption_passphrase = 'k', new_db_name = 'r'")


if __name__ == "__main__":
    unittest.main(verbosity=2)
