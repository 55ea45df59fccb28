"""Shared helpers for cofre's end-to-end tests: run the built binary on real data directories."""
import fcntl
import os
import pty
import select
import shutil
import struct
import termios
import time
import sqlite3
import subprocess
import tempfile
import unittest

COFRE = os.environ.get("COFRE_BIN", os.path.join(os.path.dirname(__file__), "..", "build", "cofre"))
# New passphrase chains cost 600 000 PBKDF2 iterations (a third of a second per statement); the
# e2e suites run thousands of statements, so they create chains at CockroachDB's 64 000 unless a
# test asks otherwise (tests/hostile_storage_test.py checks the real default).
os.environ.setdefault("COFRE_TEST_PASSPHRASE_ITERATIONS", "64000")


class CofreResult:
    def __init__(self, proc):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    def __repr__(self):
        return f"rc={self.returncode}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"


class CofreTestCase(unittest.TestCase):
    """A test with a fresh data directory in a temporary folder."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cofre-e2e-")
        self.data = os.path.join(self.tmp, "data")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def cofre(self, *stmts, data=None, fmt=None, database=None, input=None, timeout=600):
        args = [COFRE, "sql", "--data", data or self.data]
        if fmt:
            args += ["--format", fmt]
        if database:
            args += ["--database", database]
        for s in stmts:
            args += ["-e", s]
        proc = subprocess.run(args, capture_output=True, text=True, input=input, timeout=timeout)
        return CofreResult(proc)

    def ok(self, *stmts, **kw):
        r = self.cofre(*stmts, **kw)
        self.assertEqual(r.returncode, 0, repr(r))
        return r

    def fails(self, *stmts, contains=None, **kw):
        r = self.cofre(*stmts, **kw)
        self.assertEqual(r.returncode, 1, repr(r))
        self.assertIn("ERROR:", r.stderr, repr(r))
        if contains:
            for c in [contains] if isinstance(contains, str) else contains:
                self.assertIn(c, r.stderr, repr(r))
        return r

    def rows(self, stmt, **kw):
        """Runs one query with --format json and returns its rows as dicts."""
        import json
        r = self.ok(stmt, fmt="json", **kw)
        lines = [l for l in r.stdout.splitlines() if l.strip()]
        self.assertTrue(lines, repr(r))
        return json.loads(lines[-1])

    def interactive(self, lines, home):
        """Types `lines` into the interactive shell on a pseudo-terminal (with HOME=home, so its
        history goes to home/.cofre_history), each after the prompt, then leaves with \\q.
        Returns what the terminal showed."""
        master, slave = pty.openpty()
        # A wide terminal: typed lines are echoed whole, never wrapped.
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 8000, 0, 0))
        env = dict(os.environ, HOME=home, TERM="dumb")
        proc = subprocess.Popen([COFRE, "sql", "--data", self.data], stdin=slave, stdout=slave,
                                stderr=slave, env=env, close_fds=True)
        os.close(slave)
        shown = b""

        def wait_prompt(n, timeout=300):
            nonlocal shown
            deadline = time.monotonic() + timeout
            # Prompts: "defaultdb> " and, for a continuation line, "-> ".
            while shown.count(b"defaultdb> ") + shown.count(b" -> ") < n:
                self.assertLess(time.monotonic(), deadline, shown[-2000:])
                ready, _, _ = select.select([master], [], [], 1)
                if ready:
                    try:
                        shown += os.read(master, 65536)
                    except OSError:  # the shell has gone
                        break

        try:
            for i, line in enumerate(lines + ["\\q"]):
                wait_prompt(i + 1)
                os.write(master, line.encode() + b"\r")
            proc.wait(timeout=60)
            while True:  # the rest of the output
                ready, _, _ = select.select([master], [], [], 0.2)
                if not ready:
                    break
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                shown += chunk
        finally:
            if proc.poll() is None:
                proc.kill()
            os.close(master)
        self.assertEqual(proc.returncode, 0, shown[-2000:])
        return shown.decode(errors="replace")

    def db_path(self, name, data=None):
        con = sqlite3.connect(os.path.join(data or self.data, "system.sqlite"))
        try:
            row = con.execute("SELECT path FROM databases WHERE name = ?", (name,)).fetchone()
            return row[0] if row else None
        finally:
            con.close()


def table_dump(path, table):
    """All rows of a table, ordered by its key, with values as Python sees them (bit-exact)."""
    con = sqlite3.connect(path)
    try:
        cols = [r[1] for r in con.execute(f'PRAGMA table_xinfo("{table}")') if r[6] == 0]
        wr = con.execute("SELECT wr FROM pragma_table_list WHERE name = ?", (table,)).fetchone()[0]
        sel = ", ".join(f'"{c}"' for c in cols)
        if wr:
            return con.execute(f'SELECT {sel} FROM "{table}" ORDER BY 1').fetchall()
        return con.execute(f'SELECT rowid, {sel} FROM "{table}" ORDER BY rowid').fetchall()
    finally:
        con.close()


def schema_of(path):
    con = sqlite3.connect(path)
    try:
        return sorted(con.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_autoindex%'"
        ).fetchall(), key=lambda r: (r[0], r[1]))
    finally:
        con.close()
