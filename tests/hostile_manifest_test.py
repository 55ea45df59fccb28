"""A backup is untrusted input (issue 13 §1): RESTORE never executes SQL taken from a manifest.

Each test takes a real unencrypted backup, forges its BACKUP_MANIFEST the way someone with write
access to the collection could (decode the protobuf with protoc and the project's .proto, change
an object's SQL, re-encode, recompute the manifest's SHA-256), and asserts that RESTORE refuses
it naming the object, that nothing appears at the path an injected ATTACH names, and that no
other table of a RESTORE TABLE ... WITH into_db target is touched.
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from cofre_testlib import COFRE, CofreTestCase, table_dump  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
PROTO = os.path.join(ROOT, "proto", "backup_manifest.proto")
MAGIC = b"CFM1"
PROTOC = shutil.which("protoc")


def protoc(mode, data):
    proc = subprocess.run([PROTOC, f"--{mode}=cofre.proto.BackupManifest", "-I", ROOT, PROTO],
                          input=data, capture_output=True, check=True)
    return proc.stdout


def text_literal(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def forge_manifest(path, edit):
    """Rewrites the unencrypted manifest at `path`: edit(text) gets and returns its protobuf in
    text format; the checksum is recomputed so only the SQL checks can catch the change."""
    with open(path, "rb") as f:
        raw = f.read()
    assert raw[:4] == MAGIC, raw[:4]
    body = raw[4:-32]
    assert hashlib.sha256(raw[:-32]).digest() == raw[-32:]
    text = protoc("decode", body).decode()
    forged = edit(text)
    assert forged != text, "the edit changed nothing"
    new_body = protoc("encode", forged.encode())
    out = MAGIC + new_body
    with open(path, "wb") as f:
        f.write(out + hashlib.sha256(out).digest())


def replace_sql(text, field, old_prefix, new_sql):
    """Replaces the value of the first `field: "..."` line whose SQL starts with old_prefix."""
    pattern = re.compile(r'^(\s*' + field + r': )"' + re.escape(old_prefix) + r'.*"$', re.M)
    forged, n = pattern.subn(lambda m: m.group(1) + text_literal(new_sql), text, count=1)
    assert n == 1, f"no {field} starting with {old_prefix!r}"
    return forged


@unittest.skipUnless(PROTOC, "protoc (the build's protobuf compiler) is needed to forge manifests")
class HostileManifestTest(CofreTestCase):
    def setUp(self):
        super().setUp()
        self.coll_dir = os.path.join(self.tmp, "coll")
        self.coll = f"file://{self.coll_dir}"
        self.ok("CREATE DATABASE shop",
                "CREATE TABLE shop.t (id INTEGER PRIMARY KEY, v TEXT)",
                "CREATE INDEX shop.t_v ON t(v)",
                "CREATE VIEW shop.tv AS SELECT v FROM t",
                "CREATE TRIGGER shop.t_log AFTER UPDATE ON t BEGIN SELECT 1; END",
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 500) "
                "INSERT INTO shop.t SELECT x, 'v' || x FROM c",
                f"BACKUP DATABASE shop INTO '{self.coll}'")
        # The target of RESTORE TABLE ... WITH into_db, with a table that must stay untouched.
        self.ok("CREATE DATABASE target", "CREATE TABLE target.keep (k INTEGER PRIMARY KEY, s)",
                "INSERT INTO target.keep VALUES (1, 'precious'), (2, 'data')")
        self.keep_before = table_dump(self.db_path("target"), "keep")
        self.evil = os.path.join(self.tmp, "evil.db")
        manifests = [os.path.join(d, f) for d, _, fs in os.walk(self.coll_dir) for f in fs
                     if f == "BACKUP_MANIFEST"]
        self.assertEqual(len(manifests), 1)
        self.manifest = manifests[0]

    def forge(self, edit):
        forge_manifest(self.manifest, edit)

    def assert_refused(self, stmt, names):
        r = self.fails(stmt, contains=["backup manifest", names])
        self.assertFalse(os.path.exists(self.evil), "an injected ATTACH created a file")
        self.assertEqual(table_dump(self.db_path("target"), "keep"), self.keep_before)
        return r

    def test_forged_manifest_round_trips_when_unchanged(self):
        # The forging machinery itself: a re-encoded, unchanged manifest still restores.
        forge_manifest(self.manifest, lambda t: t + " ")
        self.ok(f"RESTORE DATABASE shop FROM LATEST IN '{self.coll}' WITH new_db_name = 'copy'")
        self.assertEqual(table_dump(self.db_path("copy"), "t"), table_dump(self.db_path("shop"), "t"))

    def test_a_newer_format_is_refused_with_upgrade_advice(self):
        # format_version 2 (cofre 0.7: data files may use the first-frame dictionary) is written;
        # a later format is refused before anything is read or created.
        with open(self.manifest, "rb") as f:
            self.assertIn("format_version: 2", protoc("decode", f.read()[4:-32]).decode())
        self.forge(lambda t: re.sub(r"^format_version: 2$", "format_version: 3", t, flags=re.M))
        self.fails(f"RESTORE DATABASE shop FROM LATEST IN '{self.coll}' WITH new_db_name = 'copy'",
                   contains=["newer cofre (format 3)", "upgrade cofre"])
        self.assertIsNone(self.db_path("copy"))  # no database was created
        self.fails(f"SHOW BACKUP FROM LATEST IN '{self.coll}'", contains=["upgrade cofre"])

    def test_attach_appended_to_create_table_is_refused(self):
        self.forge(lambda t: replace_sql(
            t, "create_sql", "CREATE TABLE t",
            f"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); ATTACH DATABASE '{self.evil}' AS p; "
            "CREATE TABLE p.x(a)"))
        r = self.assert_refused(
            f"RESTORE DATABASE shop FROM LATEST IN '{self.coll}' WITH new_db_name = 'copy'",
            "table shop.t")
        self.assertIn("more than one statement", r.stderr)
        self.assertIsNone(self.db_path("copy"))
        self.assert_refused(f"RESTORE TABLE shop.t FROM LATEST IN '{self.coll}' "
                            "WITH into_db = 'target'", "table shop.t")

    def test_into_db_cannot_touch_other_tables(self):
        self.forge(lambda t: replace_sql(
            t, "create_sql", "CREATE TABLE t",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); DELETE FROM keep; "
            "UPDATE keep SET s = 'gone'"))
        self.assert_refused(f"RESTORE TABLE shop.t FROM LATEST IN '{self.coll}' "
                            "WITH into_db = 'target'", "table shop.t")
        self.assertNotIn("t", [r[0] for r in self.tables("target")])

    def test_index_turned_into_a_trigger_on_another_table_is_refused(self):
        self.forge(lambda t: replace_sql(
            t, "sql", "CREATE INDEX t_v",
            "CREATE TRIGGER t_v AFTER UPDATE ON keep BEGIN DELETE FROM keep; END"))
        r = self.assert_refused(f"RESTORE TABLE shop.t FROM LATEST IN '{self.coll}' "
                                "WITH into_db = 'target'", "index shop.t_v")
        self.assertNotIn("t", [r[0] for r in self.tables("target")])
        self.assertEqual(self.tables("target"), [("keep",)])

    def test_trigger_and_view_bodies_cannot_attach(self):
        self.forge(lambda t: replace_sql(
            t, "sql", "CREATE TRIGGER t_log",
            f"CREATE TRIGGER t_log AFTER UPDATE ON t BEGIN ATTACH '{self.evil}' AS p; END"))
        self.assert_refused(
            f"RESTORE DATABASE shop FROM LATEST IN '{self.coll}' WITH new_db_name = 'copy'",
            "trigger shop.t_log")
        self.assertIsNone(self.db_path("copy"))

    def test_view_renamed_or_reading_another_database_is_refused(self):
        for sql, why in ((f"CREATE VIEW tv AS SELECT v FROM t; VACUUM INTO '{self.evil}'",
                          "more than one statement"),
                         ("CREATE VIEW tv AS SELECT * FROM p.x", "SQLite refuses it"),
                         ("CREATE VIEW other AS SELECT 1", "creates view other")):
            shutil.rmtree(self.coll_dir)
            self.ok(f"BACKUP DATABASE shop INTO '{self.coll}'")
            self.manifest = [os.path.join(d, f) for d, _, fs in os.walk(self.coll_dir)
                             for f in fs if f == "BACKUP_MANIFEST"][0]
            self.forge(lambda t: replace_sql(t, "sql", "CREATE VIEW tv", sql))
            r = self.assert_refused(
                f"RESTORE DATABASE shop FROM LATEST IN '{self.coll}' WITH new_db_name = 'copy'",
                "view shop.tv")
            self.assertIn(why, r.stderr)
            self.assertIsNone(self.db_path("copy"))

    def tables(self, db):
        import sqlite3
        con = sqlite3.connect(self.db_path(db))
        try:
            return con.execute("SELECT name FROM sqlite_schema WHERE type = 'table' "
                               "ORDER BY name").fetchall()
        finally:
            con.close()


@unittest.skipUnless(PROTOC, "protoc is needed to decode manifests")
class VersionTest(CofreTestCase):
    """Issue 13 §4: one source of the version. `cofre version`, each manifest's cofre_version and
    CMakeLists.txt's project(VERSION) agree."""

    def test_manifest_records_the_binarys_version(self):
        with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
            want = re.search(r"project\(cofre VERSION ([0-9.]+)", f.read()).group(1)
        out = subprocess.run([COFRE, "version"], capture_output=True, text=True, check=True)
        self.assertEqual(out.stdout.strip(), f"cofre {want}")
        coll = os.path.join(self.tmp, "c")
        self.ok("CREATE DATABASE d", "CREATE TABLE d.t (a)", f"BACKUP DATABASE d INTO 'file://{coll}'",
                "INSERT INTO d.t VALUES (1)", f"BACKUP DATABASE d INTO LATEST IN 'file://{coll}'")
        manifests = [os.path.join(d, f) for d, _, fs in os.walk(coll) for f in fs
                     if f == "BACKUP_MANIFEST"]
        self.assertEqual(len(manifests), 2)  # the full backup and the incremental
        for path in manifests:
            with open(path, "rb") as f:
                text = protoc("decode", f.read()[4:-32]).decode()
            self.assertIn(f'cofre_version: "{want}"', text, path)


if __name__ == "__main__":
    unittest.main()
