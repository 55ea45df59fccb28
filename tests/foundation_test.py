"""End-to-end tests of the foundation: shell, data directory, full BACKUP / RESTORE / SHOW BACKUP
to local storage, jobs, refusals, consistency under concurrent writers, and kill -9."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from cofre_testlib import COFRE, CofreTestCase, schema_of, table_dump  # noqa: E402
from gen_random_db import make_db  # noqa: E402


class RoundTripTest(CofreTestCase):
    def check_same(self, src_path, dst_path):
        self.assertEqual(schema_of(src_path), schema_of(dst_path))
        con = sqlite3.connect(src_path)
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        seq = con.execute("SELECT name, seq FROM sqlite_sequence ORDER BY name").fetchall() \
            if con.execute("SELECT 1 FROM sqlite_schema WHERE name='sqlite_sequence'").fetchone() else []
        uv = con.execute("PRAGMA user_version").fetchone()
        con.close()
        for t in tables:
            self.assertEqual(table_dump(src_path, t), table_dump(dst_path, t), t)
        con = sqlite3.connect(dst_path)
        if seq:
            self.assertEqual(seq, con.execute("SELECT name, seq FROM sqlite_sequence ORDER BY name").fetchall())
        self.assertEqual(uv, con.execute("PRAGMA user_version").fetchone())
        self.assertEqual("ok", con.execute("PRAGMA integrity_check").fetchone()[0])
        con.close()

    def test_random_schemas_round_trip(self):
        for seed in range(12):
            with self.subTest(seed=seed):
                src = os.path.join(self.tmp, f"src{seed}.db")
                make_db(src, seed, big_blob=(seed == 3))
                coll = f"nodelocal://1/rt{seed}"
                self.ok(f"CREATE DATABASE s{seed} FROM FILE '{src}'",
                        f"BACKUP DATABASE s{seed} INTO '{coll}'",
                        f"RESTORE DATABASE s{seed} FROM LATEST IN '{coll}' WITH new_db_name = 'r{seed}'")
                self.check_same(src, self.db_path(f"r{seed}"))

    def test_backup_result_counts(self):
        self.ok("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT)",
                "CREATE INDEX t_a ON t(a)", "CREATE INDEX t_b ON t(b) WHERE b > 5",
                "INSERT INTO t(a, b) SELECT 'v' || value, value FROM generate_series(1, 10)"
                if False else
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 10) "
                "INSERT INTO t(a, b) SELECT 'v' || x, x FROM c")
        rows = self.rows("BACKUP INTO 'nodelocal://1/c'")
        self.assertEqual(len(rows), 1)
        r = rows[0]
        self.assertEqual(r["status"], "succeeded")
        self.assertEqual(r["rows"], 10)
        self.assertEqual(r["index_entries"], 10 + 5)
        self.assertGreater(r["bytes"], 0)
        self.assertGreater(r["job_id"], 1 << 60)

    def test_table_output_format(self):
        r = self.ok("BACKUP INTO 'nodelocal://1/f'")
        lines = r.stdout.splitlines()
        self.assertRegex(lines[0], r"^\s+job_id\s+\|\s+status\s+\|\s+fraction_completed\s+\|\s+rows\s+\|\s+index_entries\s+\|\s+bytes$")
        self.assertRegex(lines[1], r"^-+\+-+\+-+\+-+\+-+\+-+$")
        self.assertRegex(lines[2], r"^\s+\d+ \| succeeded \|\s+1 \|\s+0 \|\s+0 \|\s+0$")
        self.assertEqual(lines[3], "(1 row)")

    def test_cluster_backup_and_restore_into_fresh_directory(self):
        self.ok("CREATE DATABASE shop", "CREATE TABLE shop.items (id INTEGER PRIMARY KEY, name TEXT)",
                "INSERT INTO shop.items VALUES (1, 'pen'), (2, 'ink')",
                "CREATE TABLE defaultdb.notes (x)", "INSERT INTO defaultdb.notes VALUES ('hi')",
                f"BACKUP INTO 'file://{self.tmp}/coll'")
        other = os.path.join(self.tmp, "other")
        self.ok(f"RESTORE FROM LATEST IN 'file://{self.tmp}/coll'", data=other)
        self.assertEqual(self.rows("SELECT name FROM shop.items ORDER BY id", data=other),
                         [{"name": "pen"}, {"name": "ink"}])
        self.assertEqual(self.rows("SELECT x FROM notes", data=other), [{"x": "hi"}])
        # A second cluster restore is refused: the directory now has user tables.
        self.fails(f"RESTORE FROM LATEST IN 'file://{self.tmp}/coll'", data=other,
                   contains=["without user tables", "has 1 tables"])

    def test_table_restore_and_into_db(self):
        self.ok("CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT UNIQUE)",
                "CREATE TRIGGER a_trg AFTER DELETE ON a BEGIN SELECT 1; END",
                "INSERT INTO a VALUES (1, 'x'), (2, 'y')", "CREATE TABLE b (z)",
                "BACKUP TABLE a, defaultdb.b INTO 'nodelocal://1/t'")
        self.fails("RESTORE TABLE defaultdb.a FROM LATEST IN 'nodelocal://1/t'",
                   contains="defaultdb.a already exists")
        self.ok("CREATE DATABASE other",
                "RESTORE TABLE defaultdb.a FROM LATEST IN 'nodelocal://1/t' WITH into_db = 'other'")
        self.assertEqual(self.rows("SELECT id, v FROM other.a ORDER BY id"),
                         [{"id": 1, "v": "x"}, {"id": 2, "v": "y"}])
        schema = schema_of(self.db_path("other"))
        self.assertIn("a_trg", [r[1] for r in schema])
        self.fails("RESTORE TABLE defaultdb.a FROM LATEST IN 'nodelocal://1/t' WITH into_db = 'nope'",
                   contains='database "nope" does not exist')
        self.fails("RESTORE TABLE defaultdb.zz FROM LATEST IN 'nodelocal://1/t' WITH into_db = 'other'",
                   contains="defaultdb.zz is not in the backup")

    def test_show_backup_variants(self):
        self.ok("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", "INSERT INTO t VALUES (1, 'a')",
                "CREATE VIEW tv AS SELECT * FROM t",
                "BACKUP INTO 'nodelocal://1/s'")
        paths = self.rows("SHOW BACKUPS IN 'nodelocal://1/s'")
        self.assertEqual(len(paths), 1)
        self.assertRegex(paths[0]["path"], r"^/\d{4}/\d\d/\d\d-\d{6}\.\d\d$")
        objs = self.rows(f"SHOW BACKUP FROM '{paths[0]['path']}' IN 'nodelocal://1/s'")
        kinds = {(o["object_name"], o["object_type"]) for o in objs}
        self.assertIn(("defaultdb", "database"), kinds)
        self.assertIn(("t", "table"), kinds)
        self.assertIn(("tv", "view"), kinds)
        t = [o for o in objs if o["object_name"] == "t"][0]
        self.assertEqual(t["rows"], 1)
        self.assertEqual(t["backup_type"], "full")
        self.assertTrue(t["is_full_cluster"])
        schemas = self.rows("SHOW BACKUP SCHEMAS FROM LATEST IN 'nodelocal://1/s'")
        self.assertIn("CREATE TABLE t", [o for o in schemas if o["object_name"] == "t"][0]["create_statement"])
        files = self.rows("SHOW BACKUP FILES FROM LATEST IN 'nodelocal://1/s'")
        self.assertEqual(len(files), 1)
        self.assertRegex(files[0]["path"], r"data/\d+\.cfd$")
        self.assertEqual(files[0]["rows"], 1)
        self.fails("SHOW BACKUP FROM '2020/01/01-000000.00' IN 'nodelocal://1/s'", contains="not found")
        self.fails("SHOW BACKUP FROM 'bogus' IN 'nodelocal://1/s'", contains="not a backup subdirectory")
        self.assertEqual(self.rows("SHOW BACKUPS IN 'nodelocal://1/empty'"), [])

    def test_file_names_reveal_nothing(self):
        self.ok("CREATE DATABASE secretdb", "CREATE TABLE secretdb.salaries (who TEXT)",
                "INSERT INTO secretdb.salaries VALUES ('alice')",
                "BACKUP DATABASE secretdb INTO 'nodelocal://1/n'")
        for root, dirs, files in os.walk(os.path.join(self.data, "extern", "n")):
            for name in dirs + files:
                self.assertNotIn("secret", name)
                self.assertNotIn("salaries", name)


class ShellTest(CofreTestCase):
    def test_databases_use_and_cross_database_names(self):
        self.ok("CREATE DATABASE a", "CREATE DATABASE IF NOT EXISTS a", "USE a",
                "CREATE TABLE t (x)", "INSERT INTO t VALUES (1)",
                "SET database = defaultdb", "SELECT * FROM a.t")
        r = self.rows("SELECT x FROM a.t", database="a")
        self.assertEqual(r, [{"x": 1}])
        dbs = [d["database_name"] for d in self.rows("SHOW DATABASES")]
        self.assertEqual(dbs, ["a", "defaultdb"])
        self.assertEqual([t["table_name"] for t in self.rows("SHOW TABLES FROM a")], ["t"])
        self.fails("DROP DATABASE a", contains="not empty")
        self.ok("DROP DATABASE a CASCADE")
        self.fails("USE a", contains='database "a" does not exist')
        self.fails("CREATE DATABASE defaultdb", contains="already exists")
        self.fails("CREATE DATABASE main", contains="reserved")

    def test_stdin_script_and_stop_at_first_error(self):
        script = "CREATE TABLE t (x);\nINSERT INTO t VALUES (1);\nSELEC oops;\nINSERT INTO t VALUES (2);\n"
        r = subprocess.run([COFRE, "sql", "--data", self.data], input=script,
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 1)
        self.assertIn("ERROR:", r.stderr)
        self.assertEqual(self.rows("SELECT count(*) AS n FROM t"), [{"n": 1}])

    def test_formats(self):
        self.ok("CREATE TABLE t (a INT, b TEXT)", "INSERT INTO t VALUES (1, 'x,y'), (NULL, 'q\"')")
        csv = self.ok("SELECT * FROM t", fmt="csv").stdout
        self.assertEqual(csv, 'a,b\n1,"x,y"\n,"q"""\n')
        tsv = self.ok("SELECT * FROM t", fmt="tsv").stdout
        self.assertTrue(tsv.startswith("a\tb\n1\tx,y\n"))
        js = json.loads(self.ok("SELECT * FROM t", fmt="json").stdout.strip())
        self.assertEqual(js, [{"a": 1, "b": "x,y"}, {"a": None, "b": 'q"'}])

    def test_backup_in_strings_is_not_a_backup(self):
        r = self.rows("SELECT 'BACKUP INTO x' AS s")
        self.assertEqual(r, [{"s": "BACKUP INTO x"}])
        self.ok("CREATE TABLE backup (restore TEXT)", "INSERT INTO backup VALUES ('x')")


class RefusalTest(CofreTestCase):
    def setUp(self):
        super().setUp()
        self.ok("CREATE TABLE t (x)", "INSERT INTO t VALUES (1)", "BACKUP INTO 'nodelocal://1/r'")

    def test_refusals(self):
        cases = [
            ("BACKUP INTO 'nodelocal://1/r' WITH frobnicate", 'unknown BACKUP option "frobnicate"'),
            ("BACKUP INTO 'nodelocal://1/r' WITH detached", "detached"),
            ("BACKUP INTO 'nodelocal://1/r' WITH revision_history", "revision_history"),
            ("BACKUP INTO 'nodelocal://1/r' WITH encryption_passphrase = 'a', kms = 'aws:///k?REGION=x'",
             "cannot be used together"),
            ("BACKUP INTO 'nodelocal://1/r' WITH encryption_passphrase = ''", "must not be empty"),
            ("BACKUP INTO 'nodelocal://1/r' WITH encryption_passphrase = 'a', encryption_passphrase = 'b'",
             "more than once"),
            ("BACKUP INTO 'gs://bucket/x'", "gs"),
            ("BACKUP INTO 'not a uri'", "URI"),
            ("BACKUP INTO 'nodelocal://1/../../etc'", ".."),
            ("BACKUP DATABASE nope INTO 'nodelocal://1/r'", 'database "nope" does not exist'),
            ("BACKUP TABLE nope INTO 'nodelocal://1/r'", 'table "nope" does not exist'),
            ("RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/r'", 'database "defaultdb" already exists'),
            ("RESTORE DATABASE zz FROM LATEST IN 'nodelocal://1/r'", '"zz" is not in backup'),
            ("RESTORE FROM LATEST IN 'nodelocal://1/r'", "without user tables"),
            ("RESTORE FROM LATEST IN 'nodelocal://1/nothing'", "no backups found"),
            ("RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/r' WITH into_db = 'x'", "into_db"),
            ("RESTORE TABLE t FROM LATEST IN 'nodelocal://1/r' WITH new_db_name = 'x'", "new_db_name"),
            ("BACKUP INTO 'nodelocal://1/r' AS OF SYSTEM TIME '2999-01-01 00:00:00'", "in the future"),
            ("BACKUP INTO 'nodelocal://1/r' AS OF SYSTEM TIME '-1h'", "more than 5 minutes ago"),
            ("BACKUP INTO 'nodelocal://1/r' WITH incremental_location = 'nodelocal://1/i'", "applies to incremental backups"),
            ("BACKUP INTO", "syntax error"),
        ]
        for stmt, msg in cases:
            with self.subTest(stmt=stmt):
                self.fails(stmt, contains=msg)
        # Failed jobs are recorded without secrets.
        self.fails("RESTORE DATABASE zz FROM LATEST IN 'nodelocal://1/r' WITH encryption_passphrase = 'hunter2'")
        jobs = self.ok("SHOW JOBS").stdout
        self.assertNotIn("hunter2", jobs)

    def test_missing_external_file_is_reported_not_recreated(self):
        src = os.path.join(self.tmp, "gone.db")
        con = sqlite3.connect(src)
        con.execute("CREATE TABLE t (x)")
        con.commit()
        con.close()
        self.ok(f"CREATE DATABASE gone FROM FILE '{src}'")
        os.remove(src)
        self.fails("BACKUP DATABASE gone INTO 'nodelocal://1/g'", contains=["gone", "is missing"])
        self.fails("SELECT * FROM gone.t", contains="is missing")
        self.assertFalse(os.path.exists(src))
        self.ok("DROP DATABASE gone CASCADE")

    def test_virtual_tables_of_other_modules_are_refused_by_name(self):
        self.ok("CREATE VIRTUAL TABLE docs USING fts5(body)", "INSERT INTO docs VALUES ('hello')")
        self.ok("BACKUP INTO 'nodelocal://1/f'")
        self.ok("CREATE VIRTUAL TABLE pages USING dbstat")
        self.fails("BACKUP INTO 'nodelocal://1/v'", contains=['"pages"', '"dbstat"'])
        self.ok("BACKUP TABLE t INTO 'nodelocal://1/v'")


def build_big_db(path, mib):
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, payload BLOB, n INT)")
    con.execute("CREATE INDEX big_n ON big(n)")
    rows = mib * 16
    con.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < ?) "
                "INSERT INTO big SELECT x, randomblob(65536), x % 97 FROM c", (rows,))
    con.commit()
    con.close()


class ConcurrencyAndCrashTest(CofreTestCase):
    def test_backup_while_another_process_writes(self):
        src = os.path.join(self.tmp, "app.db")
        con = sqlite3.connect(src)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE ledger (id INTEGER PRIMARY KEY, amount INT, pad BLOB)")
        con.execute("CREATE TABLE balance (id INTEGER PRIMARY KEY, total INT)")
        con.execute("INSERT INTO balance VALUES (1, 0)")
        con.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 20000) "
                    "INSERT INTO ledger(amount, pad) SELECT 1, randomblob(2000) FROM c")
        con.execute("UPDATE balance SET total = 20000")
        con.commit()
        con.close()
        self.ok(f"CREATE DATABASE app FROM FILE '{src}'")
        stop = threading.Event()
        commits = []

        def writer():
            w = sqlite3.connect(src, timeout=30)
            while not stop.is_set():
                with w:
                    w.execute("INSERT INTO ledger(amount, pad) VALUES (3, randomblob(2000))")
                    w.execute("UPDATE balance SET total = total + 3")
                commits.append(1)
            w.close()

        th = threading.Thread(target=writer)
        th.start()
        try:
            for i in range(3):
                self.ok(f"BACKUP DATABASE app INTO 'nodelocal://1/cw'")
        finally:
            stop.set()
            th.join()
        self.assertGreater(len(commits), 10)
        self.ok("RESTORE DATABASE app FROM LATEST IN 'nodelocal://1/cw' WITH new_db_name = 'r'")
        r = self.rows("SELECT (SELECT sum(amount) FROM r.ledger) AS s, (SELECT total FROM r.balance) AS t")
        self.assertEqual(r[0]["s"], r[0]["t"])

    def test_kill_during_backup_keeps_earlier_backups(self):
        src = os.path.join(self.tmp, "big.db")
        build_big_db(src, 96)
        self.ok(f"CREATE DATABASE big FROM FILE '{src}'", "CREATE TABLE small (x)",
                "INSERT INTO small VALUES (42)", "BACKUP INTO 'nodelocal://1/k'")
        coll = os.path.join(self.data, "extern", "k")
        def read_latest():
            with open(os.path.join(coll, "LATEST")) as f:
                return f.read()

        def stored_bytes():
            # Files come and go while the backup runs (temp files, the lock file): skip those
            # that vanish between listing and sizing.
            total = 0
            for r, _, fs in os.walk(coll):
                for f in fs:
                    try:
                        total += os.path.getsize(os.path.join(r, f))
                    except FileNotFoundError:
                        pass
            return total

        latest = read_latest()
        killed_mid_backup = 0
        for threshold in (1 << 20, 24 << 20, 60 << 20):
            proc = subprocess.Popen([COFRE, "sql", "--data", self.data, "-e",
                                     "BACKUP INTO 'nodelocal://1/k'"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            base = stored_bytes()
            deadline = time.time() + 60
            while time.time() < deadline and proc.poll() is None:
                if stored_bytes() - base > threshold:
                    break
                time.sleep(0.002)
            killed_mid_backup += proc.poll() is None
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            self.assertEqual(read_latest(), latest)
            self.assertEqual(len(self.rows("SHOW BACKUPS IN 'nodelocal://1/k'")), 1)
        self.assertEqual(killed_mid_backup, 3)
        jobs = self.rows("SHOW JOBS")
        self.assertIn("exited before it finished", " ".join(j["error"] for j in jobs))
        self.ok("RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/k' WITH new_db_name = 'r'")
        self.assertEqual(self.rows("SELECT x FROM r.small"), [{"x": 42}])
        self.ok("BACKUP INTO 'nodelocal://1/k'")
        self.assertEqual(len(self.rows("SHOW BACKUPS IN 'nodelocal://1/k'")), 2)

    def test_kill_during_restore_leaves_nothing(self):
        src = os.path.join(self.tmp, "big.db")
        build_big_db(src, 64)
        self.ok(f"CREATE DATABASE big FROM FILE '{src}'", "BACKUP DATABASE big INTO 'nodelocal://1/kr'")
        dbdir = os.path.join(self.data, "databases")
        for delay in (0.05, 0.3, 0.8):
            proc = subprocess.Popen([COFRE, "sql", "--data", self.data, "-e",
                                     "RESTORE DATABASE big FROM LATEST IN 'nodelocal://1/kr' WITH new_db_name = 'copy'"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            dbs = [d["database_name"] for d in self.rows("SHOW DATABASES")]
            if "copy" in dbs:  # the restore finished before the kill: it must be whole
                self.assertEqual(self.rows("SELECT count(*) AS n FROM copy.big"), [{"n": 64 * 16}])
                self.ok("DROP DATABASE copy CASCADE")
            leftovers = [f for f in os.listdir(dbdir) if f.startswith(".staging")]
            self.assertEqual(leftovers, [])
        self.ok("RESTORE DATABASE big FROM LATEST IN 'nodelocal://1/kr' WITH new_db_name = 'copy'")
        self.assertEqual(self.rows("SELECT count(*) AS n FROM copy.big"), [{"n": 64 * 16}])


if __name__ == "__main__":
    unittest.main(verbosity=2)
