#!/usr/bin/env python3
"""Writes a golden backup: tests/testdata/golden/<name>/{collection/, expected.json}.

    COFRE_BIN=build/cofre python3 tests/testdata/golden/make_golden.py passphrase-v1 golden-passphrase
    COFRE_BIN=build/cofre python3 tests/testdata/golden/make_golden.py plain-v1

Run it once per format version, never again for an existing name: the point of a golden backup is
that it was written by an OLD cofre and every later cofre must restore it (tests/encryption_test.py,
GoldenBackupTest). A new format version gets a new directory (passphrase-v2, ...).

The data set is built with cofre's own SQL in a fresh data directory: database goldendb with a table
of every SQLite storage class (INTEGER, REAL, TEXT, BLOB, NULL, and an untyped column mixing them),
an AUTOINCREMENT table fed by a trigger, a WITHOUT ROWID table with a composite key, a STRICT table,
a table with a quoted name, a view, a plain and a partial index, user_version and application_id;
plus a table in defaultdb. expected.json records, from the SOURCE database files (not from a
restore): each database's schema, pragmas, sqlite_sequence and every row with its storage class.
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))  # tests/
from encryption_test import dump_rows  # noqa: E402

COFRE = os.environ.get("COFRE_BIN", os.path.join(HERE, "..", "..", "..", "build", "cofre"))

GOLDENDB = [
    "PRAGMA user_version = 20261128",
    "PRAGMA application_id = 1129270854",
    "CREATE TABLE kinds (id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB, anything)",
    "CREATE INDEX kinds_t ON kinds(t)",
    "CREATE INDEX kinds_pos ON kinds(i) WHERE i > 0",
    "CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind_id INTEGER NOT NULL, what TEXT)",
    "CREATE TRIGGER kinds_audit AFTER INSERT ON kinds BEGIN "
    "INSERT INTO audit(kind_id, what) VALUES (new.id, 'insert'); END",
    "CREATE VIEW kinds_summary AS SELECT id, typeof(anything) AS kind, length(b) AS blob_len FROM kinds",
    "INSERT INTO kinds VALUES (1, 0, 0.0, '', X'', NULL)",
    "INSERT INTO kinds VALUES (2, 9223372036854775807, 1.5, 'ascii text', X'00', 42)",
    "INSERT INTO kinds VALUES (3, -9223372036854775808, -0.0, 'ñandú 日本語 🎉', X'00FF10', 3.141592653589793)",
    "INSERT INTO kinds VALUES (4, 2147483648, 1e308, 'quote '' and \"double\" and' || char(10) || 'newline', "
    "X'CAFEBABE', 'text in an untyped column')",
    "INSERT INTO kinds VALUES (5, -1, 4.9406564584124654e-324, replace(hex(zeroblob(1500)), '00', 'ab'), "
    "zeroblob(5000), X'DEADBEEF')",
    "INSERT INTO kinds VALUES (6, NULL, 9e999, NULL, NULL, -9e999)",
    "INSERT INTO kinds VALUES (7, 7, -2.5e-10, 'x', X'0102030405060708090A0B0C0D0E0F', 0.1)",
    "INSERT INTO kinds VALUES (-5, -5, 1.0, 'negative rowid', NULL, '')",
    "INSERT INTO kinds VALUES (1000000, 3, 2.0, '  padded  ', X'20', 12345678901234)",
    "DELETE FROM audit WHERE kind_id = 1000000",
    "CREATE TABLE pairs (k TEXT, n INTEGER, v, PRIMARY KEY (k, n)) WITHOUT ROWID",
    "INSERT INTO pairs VALUES ('a', 1, 'one'), ('a', 2, 2.5), ('b', -1, X'FF'), ('', 0, NULL), "
    "('é', 9223372036854775807, 'max')",
    "CREATE TABLE strict_t (id INTEGER PRIMARY KEY, x INT, y TEXT, z ANY) STRICT",
    "INSERT INTO strict_t VALUES (1, 10, 'ten', 10), (2, NULL, NULL, 'z'), (3, -3, '', X'00'), (4, 4, 'r', 4.5)",
    'CREATE TABLE "odd ""name"" table" ("select" TEXT, "from" INTEGER)',
    'INSERT INTO "odd ""name"" table" VALUES (\'keyword columns\', 1), (NULL, 2)',
]

DEFAULTDB = [
    "CREATE TABLE notes (body TEXT, created INTEGER)",
    "INSERT INTO notes VALUES ('first note', 1764336000), ('second note', 1764339600)",
]


def encode_value(v):
    """[storage class, text]: reals as float.hex() (bit-exact, also -0.0 and infinities)."""
    if v is None:
        return ["null", None]
    if isinstance(v, int):
        return ["integer", str(v)]
    if isinstance(v, float):
        return ["real", v.hex()]
    if isinstance(v, str):
        return ["text", v]
    return ["blob", bytes(v).hex()]


def to_json(obj, indent=""):
    """JSON with one line per row: lists of lists put each inner list on its own line."""
    inner = indent + " "
    if isinstance(obj, dict):
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {to_json(v, inner)}" for k, v in sorted(obj.items())]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}" if items else "{}"
    if isinstance(obj, list) and obj and all(isinstance(e, list) for e in obj):
        rows = [inner + json.dumps(e, ensure_ascii=False) for e in obj]
        return "[\n" + ",\n".join(rows) + "\n" + indent + "]"
    return json.dumps(obj, ensure_ascii=False)


def describe(path):
    con = sqlite3.connect(path)
    try:
        schema = [list(r) for r in con.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_schema "
            "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")]
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        has_seq = con.execute("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'").fetchone()
        out = {
            "schema": schema,
            "user_version": con.execute("PRAGMA user_version").fetchone()[0],
            "application_id": con.execute("PRAGMA application_id").fetchone()[0],
            "sqlite_sequence": [list(r) for r in con.execute(
                "SELECT name, seq FROM sqlite_sequence ORDER BY name")] if has_seq else None,
        }
    finally:
        con.close()
    out["tables"] = {t: [[encode_value(v) for v in row] for row in dump_rows(path, t)] for t in tables}
    return out


def cofre(data, *stmts, database=None, fmt=None):
    args = [COFRE, "sql", "--data", data]
    if database:
        args += ["--database", database]
    if fmt:
        args += ["--format", fmt]
    for s in stmts:
        args += ["-e", s]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"cofre failed: {r.stderr}")
    return r.stdout


def db_path(data, name):
    con = sqlite3.connect(os.path.join(data, "system.sqlite"))
    try:
        return con.execute("SELECT path FROM databases WHERE name = ?", (name,)).fetchone()[0]
    finally:
        con.close()


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    name = sys.argv[1]
    passphrase = sys.argv[2] if len(sys.argv) == 3 else None
    out = os.path.join(HERE, name)
    if os.path.exists(out):
        sys.exit(f"{out} exists: golden backups are never regenerated; use a new name")
    opts = ""
    if passphrase:
        opts = " WITH encryption_passphrase = '" + passphrase.replace("'", "''") + "'"
    tmp = tempfile.mkdtemp(prefix="cofre-golden-")
    try:
        data = os.path.join(tmp, "data")
        cofre(data, "CREATE DATABASE goldendb")
        cofre(data, *GOLDENDB, database="goldendb")
        cofre(data, *DEFAULTDB, database="defaultdb")
        cofre(data, "BACKUP INTO 'nodelocal://1/golden'" + opts)
        coll = os.path.join(data, "extern", "golden")
        with open(os.path.join(coll, "LATEST")) as f:
            subdir = f.read().strip().strip("/")
        show = json.loads(cofre(data, "SHOW BACKUP FROM LATEST IN 'nodelocal://1/golden'" + opts,
                                fmt="json").strip().splitlines()[-1])
        expected = {
            "made_by": subprocess.run([COFRE, "version"], capture_output=True, text=True).stdout.strip(),
            "passphrase": passphrase,
            "subdir": subdir,
            "databases": {db: describe(db_path(data, db)) for db in ("defaultdb", "goldendb")},
            "show_backup": sorted([o["database_name"] or "", o["object_name"], o["object_type"], o["rows"]]
                                  for o in show),
        }
        os.makedirs(out)
        shutil.copytree(coll, os.path.join(out, "collection"))
        with open(os.path.join(out, "expected.json"), "w") as f:
            f.write(to_json(expected) + "\n")
        print(f"wrote {out} (backup {subdir})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
