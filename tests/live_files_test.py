"""Live SQLite files: BACKUP of files that other processes keep writing, in WAL and rollback-journal
modes, without ever needing their write lock and without changing their journal mode.

The writers are separate python processes doing bank transfers back to back (no gap between
transactions). Each transfer also appends a ledger row (seq, from, to, amount), so the state after
transaction N is known exactly: the opening balances plus the first N ledger rows of the live file.
A restored backup must be exactly such a state: ledger 1..N equal to the live file's, every balance
equal to the replay of those N transfers (so the total is constant), whatever N it caught.
"""
import os
import subprocess
import sys
import time
import unittest

from cofre_testlib import CofreTestCase

ACCOUNTS = 3000
OPENING = 1000

WRITER = r"""
import random, sqlite3, sys
path, seed, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3]
import os
con = sqlite3.connect(path, timeout=120, isolation_level=None)
rng = random.Random(seed)
n = 0
while not os.path.exists(stop):
    a, b = rng.randrange(%(accounts)d), rng.randrange(%(accounts)d)
    amt = rng.randrange(1, 50)
    con.execute("BEGIN IMMEDIATE")
    con.execute("UPDATE accounts SET balance = balance - ? WHERE id = ?", (amt, a))
    con.execute("UPDATE accounts SET balance = balance + ? WHERE id = ?", (amt, b))
    con.execute("INSERT INTO ledger(src, dst, amount) VALUES (?, ?, ?)", (a, b, amt))
    con.execute("COMMIT")
    n += 1
print(n)
""" % {"accounts": ACCOUNTS}


def make_bank(path, journal_mode):
    import sqlite3
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA journal_mode={journal_mode}")
    con.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INT NOT NULL, "
                "note TEXT)")
    con.execute("CREATE TABLE ledger (seq INTEGER PRIMARY KEY, src INT, dst INT, amount INT)")
    con.executemany("INSERT INTO accounts VALUES (?, ?, ?)",
                    [(i, OPENING, "x" * (i % 300)) for i in range(ACCOUNTS)])
    con.commit()
    con.close()


def header_journal(path):
    """The file's own record of its journal mode: 'wal' or 'rollback' (bytes 18-19)."""
    with open(path, "rb") as f:
        h = f.read(20)
    return "wal" if h[18] == 2 and h[19] == 2 else "rollback"


class Writers:
    def __init__(self, tmp, path, count):
        self.stop = os.path.join(tmp, "stop-writers")
        if os.path.exists(self.stop):
            os.remove(self.stop)
        self.procs = [subprocess.Popen([sys.executable, "-c", WRITER, path, str(i), self.stop],
                                       stdout=subprocess.PIPE, text=True)
                      for i in range(count)]

    def finish(self):
        open(self.stop, "w").close()
        counts = []
        for p in self.procs:
            out, _ = p.communicate(timeout=120)
            if p.returncode != 0:
                raise AssertionError(f"writer failed with {p.returncode}")
            counts.append(int(out.strip()))
        return counts


class LiveFilesTest(CofreTestCase):
    def setUp(self):
        super().setUp()
        # Several readers per database, each on its own key range: a reader on another state
        # than the others would tear the balances.
        self.env = {"COFRE_BACKUP_THREADS": "4", "COFRE_BACKUP_MIN_PIECE_ROWS": "200"}
        os.environ.update(self.env)

    def tearDown(self):
        for k in self.env:
            os.environ.pop(k, None)
        super().tearDown()

    def check_exact(self, restored, live):
        """`restored` holds the state after some transaction N of the live file's history."""
        import sqlite3
        r = sqlite3.connect(restored)
        ledger = r.execute("SELECT seq, src, dst, amount FROM ledger ORDER BY seq").fetchall()
        balances = dict(r.execute("SELECT id, balance FROM accounts"))
        r.close()
        n = len(ledger)
        if n:
            self.assertEqual(ledger[-1][0], n, "ledger rows are not 1..N")
        l = sqlite3.connect(live)
        self.assertEqual(ledger, l.execute(
            "SELECT seq, src, dst, amount FROM ledger WHERE seq <= ? ORDER BY seq", (n,)).fetchall())
        l.close()
        expected = {i: OPENING for i in range(ACCOUNTS)}
        for _, a, b, amt in ledger:
            expected[a] -= amt
            expected[b] += amt
        self.assertEqual(balances, expected, f"balances are not the state after transaction {n}")
        self.assertEqual(sum(balances.values()), ACCOUNTS * OPENING)
        return n

    def run_live_chain(self, journal_mode, writers):
        src = os.path.join(self.tmp, f"bank-{journal_mode}.db")
        make_bank(src, journal_mode)
        self.ok(f"CREATE DATABASE bank FROM FILE '{src}'")
        coll = f"nodelocal://1/{journal_mode}"
        w = Writers(self.tmp, src, writers)
        ends, notices = [], []
        try:
            time.sleep(0.3)
            for i in range(4):
                stmt = (f"BACKUP DATABASE bank INTO '{coll}'" if i == 0 else
                        f"BACKUP DATABASE bank INTO LATEST IN '{coll}'")
                t0 = time.monotonic()
                r = self.ok(stmt)
                self.assertLess(time.monotonic() - t0, 60)
                notices.append("NOTICE:" in r.stderr and "rollback journal" in r.stderr)
                time.sleep(0.2)
        finally:
            counts = w.finish()
        # Passthrough statements open the adopted file too (and must leave its mode alone). Not
        # while rollback-journal writers commit back to back: they starve readers that use
        # SQLite's own busy handler (its sleeps miss the short gaps between commits).
        self.ok("SELECT count(*) FROM bank.accounts")
        self.assertTrue(all(c > 0 for c in counts), counts)
        for row in self.rows(f"SHOW BACKUP FROM LATEST IN '{coll}'"):
            if row["object_type"] == "database":
                ends.append(row["end_time"])
        self.assertEqual(len(ends), 4)
        caught = []
        for i, end in enumerate(ends):
            self.ok(f"RESTORE DATABASE bank FROM LATEST IN '{coll}' AS OF SYSTEM TIME '{end}' "
                    f"WITH new_db_name = 'r{i}'")
            with self.subTest(layer=i):
                caught.append(self.check_exact(self.db_path(f"r{i}"), src))
        self.assertEqual(caught, sorted(caught))
        self.assertGreater(caught[-1], 0, "the writers committed nothing before the last backup")
        return src, notices

    def test_wal_writers_back_to_back(self):
        src, notices = self.run_live_chain("wal", writers=2)
        self.assertEqual(header_journal(src), "wal")
        self.assertFalse(any(notices))

    def test_rollback_journal_writers_back_to_back(self):
        src, notices = self.run_live_chain("delete", writers=2)
        # Adoption, backups and passthrough statements left the application's mode alone.
        self.assertEqual(header_journal(src), "rollback")
        import sqlite3
        con = sqlite3.connect(src)
        self.assertEqual(con.execute("PRAGMA journal_mode").fetchone()[0], "delete")
        con.close()
        self.assertTrue(all(notices), "every backup of a rollback-journal file says what it cost")

    def test_busy_file_error_names_database_cause_and_wait(self):
        import sqlite3
        src = os.path.join(self.tmp, "held.db")
        make_bank(src, "delete")
        self.ok(f"CREATE DATABASE held FROM FILE '{src}'")
        holder = sqlite3.connect(src, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            t0 = time.monotonic()
            r = self.fails("BACKUP DATABASE held INTO 'nodelocal://1/h' "
                           "WITH snapshot_timeout = '700ms'",
                           contains=['database "held"', "PENDING/EXCLUSIVE", "waited 0.7 s",
                                     "snapshot_timeout"])
            self.assertLess(time.monotonic() - t0, 10)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        self.ok("BACKUP DATABASE held INTO 'nodelocal://1/h' WITH snapshot_timeout = '5s'")
        self.fails("BACKUP DATABASE held INTO 'nodelocal://1/h2' WITH snapshot_timeout = 'soon'",
                   contains="snapshot_timeout")

    def test_adoption_changes_journal_mode_only_when_asked(self):
        a = os.path.join(self.tmp, "a.db")
        b = os.path.join(self.tmp, "b.db")
        make_bank(a, "delete")
        make_bank(b, "delete")
        self.ok(f"CREATE DATABASE a FROM FILE '{a}'",
                f"CREATE DATABASE b FROM FILE '{b}' WITH journal_mode = 'wal'",
                "INSERT INTO a.accounts VALUES (-1, 0, 'via cofre')",
                "BACKUP DATABASE a, b INTO 'nodelocal://1/ab'")
        self.assertEqual(header_journal(a), "rollback")
        self.assertEqual(header_journal(b), "wal")
        self.fails(f"CREATE DATABASE c FROM FILE '{a}' WITH journal_mode = 'fast'",
                   contains="journal_mode")

    def test_multi_database_skew_is_reported(self):
        a = os.path.join(self.tmp, "a.db")
        b = os.path.join(self.tmp, "b.db")
        make_bank(a, "wal")
        make_bank(b, "delete")
        self.ok(f"CREATE DATABASE a FROM FILE '{a}'", f"CREATE DATABASE b FROM FILE '{b}'")
        w = Writers(self.tmp, a, 1)
        try:
            self.ok("BACKUP DATABASE a, b INTO 'nodelocal://1/skew'")
        finally:
            w.finish()
        rows = [r for r in self.rows("SHOW BACKUP FROM LATEST IN 'nodelocal://1/skew'")
                if r["object_type"] == "database"]
        self.assertEqual(len(rows), 2)
        for r in rows:
            self.assertIsNotNone(r["snapshot_skew"])
            self.assertLess(float(r["snapshot_skew"].rstrip("s")), 30)


if __name__ == "__main__":
    unittest.main()
