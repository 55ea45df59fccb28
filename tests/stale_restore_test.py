"""Stale restores (issue 13 §2): a data directory remembers the newest layer of each chain it wrote
or read. A chain found ending earlier (its newest incremental deleted) or a LATEST rewound to an
older full backup is refused by RESTORE and SHOW BACKUP with a clear error; WITH allow_older = true
reads it anyway with a warning. Every RESTORE says which backup and layer it restored (a NOTICE
and SHOW JOBS' running_status), and SHOW BACKUPS marks the entry LATEST names."""
import os
import re
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from cofre_testlib import CofreTestCase, table_dump  # noqa: E402

URI = "'nodelocal://1/c'"
PW = "stale-pw"


class StaleRestoreTest(CofreTestCase):
    def coll(self, data=None):
        return os.path.join(data or self.data, "extern", "c")

    def incrementals(self):
        root = self.coll()
        out = [os.path.relpath(d, root) for d, _, fs in os.walk(os.path.join(root, "incrementals"))
               if "BACKUP_MANIFEST" in fs]
        return sorted(out)

    def values(self, db):
        return [r[1] for r in table_dump(self.db_path(db), "t")]

    def chain(self, with_opt=""):
        """A full backup and two incrementals; returns the values of t at each layer."""
        self.ok("CREATE DATABASE shop", "CREATE TABLE shop.t (id INTEGER PRIMARY KEY, v INTEGER)",
                "INSERT INTO shop.t VALUES (1, 1)", f"BACKUP DATABASE shop INTO {URI} {with_opt}")
        states = [[1]]
        for v in (2, 3):
            self.ok(f"INSERT INTO shop.t VALUES ({v}, {v})",
                    f"BACKUP DATABASE shop INTO LATEST IN {URI} {with_opt}")
            states.append(list(range(1, v + 1)))
        return states

    def restore(self, name, extra="", with_opt="", **kw):
        opts = ", ".join(o for o in (with_opt, f"new_db_name = '{name}'", extra) if o)
        return f"RESTORE DATABASE shop FROM LATEST IN {URI} WITH {opts}"

    def check_refused(self, stmt, **kw):
        r = self.fails(stmt, contains=["allow_older = true", "HINT:"], **kw)
        self.assertNotIn("NOTICE:", r.stderr)
        return r

    def deleted_newest_incremental(self, encrypted):
        with_opt = f"WITH encryption_passphrase = '{PW}'" if encrypted else ""
        key_opt = f"encryption_passphrase = '{PW}'" if encrypted else ""
        states = self.chain(with_opt)
        r = self.ok(self.restore("r0", with_opt=key_opt))
        self.assertEqual(self.values("r0"), states[2])
        newest = self.incrementals()[-1]
        self.assertIn("NOTICE: restored backup /", r.stderr)
        self.assertIn("layer 2 (incremental)", r.stderr)
        shutil.rmtree(os.path.join(self.coll(), newest))

        r = self.check_refused(self.restore("r1", with_opt=key_opt))
        self.assertIn("now ends at incremental layer 1", r.stderr)
        self.assertIn(newest, r.stderr)
        self.assertIsNone(self.db_path("r1"), "a refused restore created a database")
        show = f"SHOW BACKUP FROM LATEST IN {URI}" + (f" WITH {key_opt}" if key_opt else "")
        self.check_refused(show)
        # The refusal holds the next time too (nothing was forgotten).
        self.check_refused(self.restore("r1", with_opt=key_opt))

        r = self.ok(self.restore("r1", "allow_older = true", with_opt=key_opt))
        self.assertEqual(self.values("r1"), states[1])
        self.assertRegex(r.stderr, r"WARNING: .*now ends at incremental layer 1.*allow_older")
        self.assertIn("layer 1 (incremental)", r.stderr.split("NOTICE: restored")[1])
        r = self.ok(show + (", " if key_opt else " WITH ") + "allow_older")
        self.assertIn("WARNING:", r.stderr)

    def test_deleted_newest_incremental_is_refused(self):
        self.deleted_newest_incremental(encrypted=False)

    def test_deleted_newest_incremental_is_refused_encrypted(self):
        self.deleted_newest_incremental(encrypted=True)

    def test_latest_rewound_to_an_older_full_backup(self):
        self.ok("CREATE DATABASE shop", "CREATE TABLE shop.t (id INTEGER PRIMARY KEY, v INTEGER)",
                "INSERT INTO shop.t VALUES (1, 1)", f"BACKUP DATABASE shop INTO {URI}",
                "INSERT INTO shop.t VALUES (2, 2)", f"BACKUP DATABASE shop INTO {URI}")
        listed = self.rows(f"SHOW BACKUPS IN {URI}")
        self.assertEqual(len(listed), 2)
        self.assertEqual([b["is_latest"] for b in listed], [False, True])
        older = listed[0]["path"]
        with open(os.path.join(self.coll(), "LATEST"), "w") as f:
            f.write(older)
        self.assertEqual([b["is_latest"] for b in self.rows(f"SHOW BACKUPS IN {URI}")],
                         [True, False])
        r = self.check_refused(self.restore("r1"))
        self.assertIn(f"LATEST names full backup {older}", r.stderr)
        self.assertIn(listed[1]["path"], r.stderr)
        self.assertIsNone(self.db_path("r1"))
        self.check_refused(f"SHOW BACKUP FROM LATEST IN {URI}")
        # Naming the older backup itself is not stale: the user asked for it.
        self.ok(f"RESTORE DATABASE shop FROM '{older}' IN {URI} WITH new_db_name = 'named'")
        self.assertEqual(self.values("named"), [1])
        r = self.ok(self.restore("r1", "allow_older = true"))
        self.assertEqual(self.values("r1"), [1])
        self.assertIn("WARNING: LATEST names full backup", r.stderr)
        # Deleting the newer full backup and its LATEST entry is refused the same way.
        shutil.rmtree(os.path.join(self.coll(), listed[1]["path"].lstrip("/")))
        self.check_refused(self.restore("r2"))

    def test_fresh_data_directory_restores_and_then_remembers(self):
        states = self.chain()
        fresh = os.path.join(self.tmp, "fresh")
        shutil.copytree(self.coll(), self.coll(fresh))
        # Nothing seen yet: restores, saying what it restored.
        r = self.ok(self.restore("r0"), data=fresh)
        self.assertEqual([x[1] for x in table_dump(self.db_path("r0", data=fresh), "t")],
                         states[2])
        self.assertRegex(r.stderr, r"NOTICE: restored backup /\d{4}/\d\d/\d\d-\d{6}\.\d\d in "
                                   r"'nodelocal://1/c', layer 2 \(incremental\) ending at "
                                   r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ UTC")
        jobs = self.rows("SHOW JOBS", data=fresh)
        self.assertEqual(jobs[0]["job_type"], "RESTORE")
        self.assertRegex(jobs[0]["running_status"], r"^restored backup /.* layer 2 \(incremental\)")
        # BACKUP jobs say which layer they wrote.
        wrote = [j["running_status"] for j in self.rows("SHOW JOBS") if j["job_type"] == "BACKUP"]
        self.assertEqual(len(wrote), 3)
        for i, text in enumerate(reversed(wrote)):
            self.assertRegex(text, r"^wrote backup /\S+ in 'nodelocal://1/c', layer %d \((full|"
                                   r"incremental)\) ending at " % i)
        # A data directory that only read the chain remembers it too.
        shutil.rmtree(os.path.join(self.coll(fresh), self.incrementals()[-1]))
        self.check_refused(self.restore("r1"), data=fresh)
        # ... and a third one that never saw it restores the shorter chain.
        third = os.path.join(self.tmp, "third")
        shutil.copytree(self.coll(fresh), self.coll(third))
        self.ok(self.restore("r1"), data=third)
        self.assertEqual([x[1] for x in table_dump(self.db_path("r1", data=third), "t")],
                         states[1])

    def test_as_of_system_time_names_the_layer_and_the_newest(self):
        self.chain()
        ends = sorted({r["end_time"] for r in self.rows(f"SHOW BACKUP FROM LATEST IN {URI}")})
        self.assertEqual(len(ends), 3)
        r = self.ok(f"RESTORE DATABASE shop FROM LATEST IN {URI} AS OF SYSTEM TIME '{ends[1]}' "
                    "WITH new_db_name = 'r1'")
        self.assertEqual(self.values("r1"), [1, 2])
        self.assertIn(f"layer 1 (incremental) ending at {ends[1]} UTC (chosen by AS OF SYSTEM "
                      f"TIME; the chain's newest layer 2 ends at {ends[2]} UTC)", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
