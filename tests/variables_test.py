"""Passphrases without argv (issue 13 §3): psql-style shell variables in `cofre sql`.
A backup made with `--set-file pw=FILE` and `encryption_passphrase = :'pw'` restores with the
passphrase given through `--set-env`, `\\set` on stdin or `\\getenv`; /proc/PID/cmdline of a running
cofre never holds the passphrase; interpolation never happens inside literals."""
import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from cofre_testlib import COFRE, CofreTestCase, table_dump  # noqa: E402

# A quote, a double quote, a colon and spaces: each must survive interpolation unchanged.
PW = "it's a \"long\" :pass phrase"
URI = "'nodelocal://1/v'"


class VariablesTest(CofreTestCase):
    def setUp(self):
        super().setUp()
        self.pw_file = os.path.join(self.tmp, "pw")
        with open(self.pw_file, "w") as f:
            f.write(PW + "\n")
        os.chmod(self.pw_file, 0o600)

    def run_cofre(self, args, input=None, env=None):
        e = dict(os.environ)
        e.update(env or {})
        return subprocess.run([COFRE, "sql", "--data", self.data] + args, capture_output=True,
                              text=True, input=input, env=e, timeout=300)

    def make_backup(self):
        r = self.run_cofre(["--set-file", "pw=" + self.pw_file,
                            "-e", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
                            "-e", "INSERT INTO t VALUES (1, 'one'), (2, ':pw')",
                            "-e", f"BACKUP INTO {URI} WITH encryption_passphrase = :'pw'"])
        self.assertEqual(r.returncode, 0, r)
        self.assertNotIn(PW, r.stdout + r.stderr)

    def restored(self, name):
        return table_dump(self.db_path(name), "t")

    def test_backup_with_set_file_restores_with_set_env(self):
        self.make_backup()
        # The passphrase in the file is the one the backup needs: a literal one opens it.
        lit = PW.replace("'", "''")
        self.ok(f"SHOW BACKUP FROM LATEST IN {URI} WITH encryption_passphrase = '{lit}'")
        r = self.run_cofre(["--set-env", "pw=COFRE_TEST_PW", "-e",
                            f"RESTORE DATABASE defaultdb FROM LATEST IN {URI} WITH "
                            "encryption_passphrase = :'pw', new_db_name = 'r1'"],
                           env={"COFRE_TEST_PW": PW})
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(self.restored("r1"), [(1, 1, "one"), (2, 2, ":pw")])
        # The same through \set and \getenv on stdin (statements that never reach argv).
        script = ("\\getenv pw COFRE_TEST_PW\n"
                  f"RESTORE DATABASE defaultdb FROM LATEST IN {URI}\n"
                  "  WITH encryption_passphrase = :'pw', new_db_name = 'r2';\n")
        r = self.run_cofre([], input=script, env={"COFRE_TEST_PW": PW})
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(self.restored("r2"), [(1, 1, "one"), (2, 2, ":pw")])
        # A wrong value is the wrong passphrase; the error never shows either one.
        r = self.run_cofre(["-v", "pw=wrong", "-e",
                            f"RESTORE DATABASE defaultdb FROM LATEST IN {URI} WITH "
                            "encryption_passphrase = :'pw', new_db_name = 'r3'"])
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("passphrase is wrong", r.stderr)
        self.assertNotIn("wrong'", r.stderr)
        # SHOW JOBS shows the statement with the passphrase hidden.
        jobs = json.dumps(self.rows("SHOW JOBS"))
        self.assertNotIn(PW.split()[0] + " a", jobs)
        self.assertNotIn("long", jobs)

    def test_cmdline_never_holds_the_passphrase(self):
        """A running `cofre sql --set-file pw=...` (and --set-env) shows only the variable's name
        and the file's path in /proc/PID/cmdline."""
        for args, env in ((["--set-file", "pw=" + self.pw_file], {}),
                          (["--set-env", "pw=COFRE_TEST_PW"], {"COFRE_TEST_PW": PW})):
            with self.subTest(args=args[0]):
                e = dict(os.environ)
                e.update(env)
                proc = subprocess.Popen([COFRE, "sql", "--data", self.data] + args,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env=e)
                try:
                    # The statement that uses the passphrase runs while the process lives on.
                    proc.stdin.write(f"BACKUP INTO {URI} WITH encryption_passphrase = :'pw';\n")
                    proc.stdin.flush()
                    deadline = time.time() + 60
                    seen = b""
                    while time.time() < deadline:
                        with open(f"/proc/{proc.pid}/cmdline", "rb") as f:
                            seen = f.read()
                        if b"--data" in seen:
                            break
                        time.sleep(0.05)
                    self.assertIn(b"--data", seen)
                    self.assertIn(args[1].encode(), seen)
                    self.assertNotIn(PW.encode(), seen)
                    self.assertNotIn(b"pass phrase", seen)
                    out, err = proc.communicate("SHOW JOBS;\n", timeout=120)
                finally:
                    if proc.poll() is None:
                        proc.kill()
                        proc.wait()
                self.assertEqual(proc.returncode, 0, err)
                self.assertNotIn(PW, out + err)
        # Both backups open with the passphrase.
        r = self.run_cofre(["--set-file", "pw=" + self.pw_file, "-e",
                            f"SHOW BACKUP FROM LATEST IN {URI} WITH encryption_passphrase = :'pw'"])
        self.assertEqual(r.returncode, 0, r)

    def test_interpolation_rules(self):
        r = self.run_cofre(["-v", "n=7", "-v", "t=my t", "--format", "csv",
                            "-e", "CREATE TABLE :\"t\" (a)",
                            "-e", "INSERT INTO \"my t\" VALUES (:n), (':n'), (:'n'), (\":n\")",
                            "-e", "SELECT a, typeof(a) FROM :\"t\" -- :n\nORDER BY rowid",
                            "-e", "SELECT 2 AS c /* :n */"])
        self.assertEqual(r.returncode, 0, r)
        # ":n" in double quotes is an identifier (SQLite takes an unknown one as a string).
        self.assertEqual(r.stdout.split()[5:], ["a,typeof(a)", "7,integer", ":n,text", "7,text",
                                                ":n,text", "c", "2"])
        # An unknown name is left as written (and SQLite parameters are not cofre's).
        r = self.run_cofre(["-v", "n=7", "-e", "SELECT :unknown"])
        self.assertEqual(r.returncode, 1, r)
        self.assertIn(":unknown", r.stderr)

    def test_interactive_shell_set_never_reaches_the_history(self):
        home = os.path.join(self.tmp, "home")
        os.makedirs(home)
        lit = PW.replace("'", "''")
        shown = self.interactive([f"\\set pw '{lit}'", "CREATE TABLE t (a);",
                                  f"BACKUP INTO {URI} WITH encryption_passphrase = :'pw';",
                                  "\\set"], home)
        self.assertIn("succeeded", shown)
        with open(os.path.join(home, ".cofre_history"), encoding="utf-8") as f:
            history = f.read().replace("\\040", " ")  # libedit's encoding of blanks
        self.assertIn("encryption_passphrase = :'pw'", history)
        self.assertNotIn("pass phrase", history)
        self.assertNotIn("\\set", history)
        # The backup opens with the passphrase the shell variable held.
        self.ok(f"SHOW BACKUP FROM LATEST IN {URI} WITH encryption_passphrase = '{lit}'")

    def test_bad_variables_fail_before_anything_runs(self):
        r = self.run_cofre(["--set-file", "pw=" + os.path.join(self.tmp, "missing"),
                            "-e", "CREATE TABLE x (a)"])
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("variable file", r.stderr)
        r = self.run_cofre(["--set-env", "pw=COFRE_TEST_SURELY_UNSET", "-e", "CREATE TABLE x (a)"])
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("COFRE_TEST_SURELY_UNSET", r.stderr)
        self.assertFalse(os.path.exists(self.data), "the data directory was created")


if __name__ == "__main__":
    unittest.main(verbosity=2)
