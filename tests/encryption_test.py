"""End-to-end tests of passphrase-encrypted BACKUP / RESTORE (issue 3), driving the built binary.

- NoPlaintextTest: nothing a user stored (names, values) and not the passphrase reaches storage
  in the clear; only LATEST and ENCRYPTION-INFO are plaintext.
- KeyErrorTest / DamagedBackupTest: every key mistake and every missing or damaged file gives an
  error that names the option or the file and the problem, and restores nothing.
- TamperMatrixTest: byte flips, truncations (also exactly at a 64 KiB chunk boundary), extensions,
  reordered chunks, swapped and transplanted files, on encrypted and unencrypted backups.
- GoldenBackupTest: the backups checked in under tests/testdata/golden/ (written by an earlier
  cofre) restore to exactly the recorded rows, in every later version.
"""
import hashlib
import hmac
import json
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cofre_testlib import CofreTestCase, table_dump  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "testdata", "golden")
# Value tag 5 (docs/format.md §5): "the rowid of this record's key", decoded to this marker first.
ROWID_REF = object()

PW = "Tr0ub4dor&3 correct-horse"

# Encrypted file format (src/crypto/streaming_aead_format.h).
AEAD_MAGIC = b"CFAE"
AEAD_HEADER = 48
CHUNK = 64 * 1024
SEALED_CHUNK = CHUNK + 16

# What a DataLoss-style message says about a damaged file (one of these words must appear).
PROBLEM = re.compile(r"corrupt|failed authentication|modified|truncated|wrong size|checksum|"
                     r"replaced|extended|missing|copied from", re.I)


def sq(s):
    """A SQL string literal body."""
    return s.replace("'", "''")


def with_pw(pw=PW):
    return f" WITH encryption_passphrase = '{sq(pw)}'"


def file_uri(path):
    return "file://" + path


def read_latest(coll_dir):
    with open(os.path.join(coll_dir, "LATEST")) as f:
        return f.read().strip().strip("/")


def all_files(root):
    out = []
    for dirpath, _, files in os.walk(root):
        for name in files:
            out.append(os.path.join(dirpath, name))
    return sorted(out)


def data_files(coll_dir, subdir=None):
    """The .cfd data files of backup `subdir` (default LATEST), ordered by file number."""
    subdir = subdir or read_latest(coll_dir)
    d = os.path.join(coll_dir, subdir, "data")
    names = [n for n in os.listdir(d) if n.endswith(".cfd")]
    return [os.path.join(d, n) for n in sorted(names, key=lambda n: int(n.split(".")[0]))]


def rel(coll_dir, path):
    return os.path.relpath(path, coll_dir)


def tree_digest(root):
    """SHA-256 of every file's relative path and bytes under root."""
    h = hashlib.sha256()
    for p in all_files(root):
        h.update(os.path.relpath(p, root).encode() + b"\0")
        with open(p, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def write_bytes(path, data):
    with open(path, "wb") as f:
        f.write(data)


def flip(path, offset):
    b = bytearray(read_bytes(path))
    b[offset] ^= 0x01
    write_bytes(path, bytes(b))


def truncate(path, size):
    with open(path, "r+b") as f:
        f.truncate(size)


def append(path, data):
    with open(path, "ab") as f:
        f.write(data)


def replace_file(src, dst):
    """Copies src over dst; returns dst, or None when they hold the same bytes (a no-op: an
    unencrypted backup's file of an unchanged table is byte-identical to the older backup's)."""
    if read_bytes(src) == read_bytes(dst):
        return None
    shutil.copyfile(src, dst)
    return dst


def swap(a, b):
    tmp = a + ".swap"
    os.rename(a, tmp)
    os.rename(b, a)
    os.rename(tmp, b)


class EncryptionCase(CofreTestCase):
    """Helpers: collections on disk, and the state a failed restore must leave untouched."""

    def coll(self, name, data=None):
        return os.path.join(data or self.data, "extern", name)

    def databases(self, data=None):
        return [d["database_name"] for d in self.rows("SHOW DATABASES", data=data)]

    def state(self, data=None):
        """What a failed restore must not change. Lists the files of databases/ first: opening the
        data directory removes a dead process's leftover staging files."""
        data = data or self.data
        files = sorted(os.listdir(os.path.join(data, "databases")))
        tables = {db: sorted(t["table_name"] for t in self.rows(f"SHOW TABLES FROM {db}", data=data))
                  for db in self.databases(data)}
        return files, tables

    def assert_nothing_restored(self, before, data=None):
        files, tables = self.state(data)
        self.assertEqual(before[0], files, "a failed restore left files in databases/")
        self.assertFalse([f for f in files if "staging" in f], files)
        self.assertEqual(before[1], tables, "a failed restore created a database or table")

    def fails_cleanly(self, stmt, contains=(), data=None, problem=True):
        """Runs a statement that must fail, restoring nothing; returns its stderr."""
        before = self.state(data)
        r = self.fails(stmt, contains=list(contains), data=data)
        if problem:
            self.assertRegex(r.stderr, PROBLEM, repr(r))
        self.assert_nothing_restored(before, data)
        return r.stderr


def make_shop(case, database="shop", big_rows=0):
    """Database `database` with tables items (small), orders (small) and optionally big
    (`big_rows` rows of 1 KiB random blobs, so its data file is incompressible)."""
    case.ok(f"CREATE DATABASE {database}")
    case.ok("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL)",
            "INSERT INTO items VALUES (1, 'pen', 1.5), (2, 'ink', 3.25), (3, 'paper', NULL)",
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, item INT, qty INT)",
            "CREATE INDEX orders_item ON orders(item)",
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 500) "
            "INSERT INTO orders SELECT x, 1 + x % 3, x * 7 FROM c",
            database=database)
    if big_rows:
        case.ok("CREATE TABLE big (id INTEGER PRIMARY KEY, payload BLOB)",
                f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < {big_rows}) "
                "INSERT INTO big SELECT x, randomblob(1024) FROM c",
                database=database)


# ------------------------------------------------------------------------------------------------
# 1. No plaintext on storage


class NoPlaintextTest(EncryptionCase):
    # Every name and string value the data set uses; none may appear on storage in any case.
    TOKENS = [
        "quetzalvault",                 # database
        "zanzibar_ledger",              # table
        "quokka_balance",               # column
        "marmoset_remark",              # column
        "idx_wombat_lookup",            # index
        "view_narwhal_summary",         # view
        "trg_ocelot_audit",             # trigger
        "pangolin_audit_log",           # second table
        "Vermilion Quixotic Aardvark",  # value repeated in ~20 000 rows
        "Obsidian-Pelican-Lighthouse",  # value of a single row
        "BLOBMARKER-Zephyr-Kumquat",    # bytes inside a BLOB
        "Ñandú-Überfluß-日本語-🦜",     # non-ASCII text value
        "coalesce(marmoset_remark, 'Tangerine-Sentinel')",  # fragment of the view's SQL
    ]

    def make_data(self):
        d = "quetzalvault"
        self.ok(f"CREATE DATABASE {d}")
        self.ok("CREATE TABLE zanzibar_ledger (id INTEGER PRIMARY KEY, quokka_balance TEXT, "
                "marmoset_remark TEXT, payload BLOB)",
                "CREATE INDEX idx_wombat_lookup ON zanzibar_ledger(quokka_balance)",
                "CREATE TABLE pangolin_audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT)",
                "CREATE VIEW view_narwhal_summary AS SELECT id, "
                "coalesce(marmoset_remark, 'Tangerine-Sentinel') AS r FROM zanzibar_ledger",
                "CREATE TRIGGER trg_ocelot_audit AFTER INSERT ON zanzibar_ledger "
                "WHEN new.id = 1 BEGIN INSERT INTO pangolin_audit_log(what) VALUES ('first'); END",
                # ~20 000 rows of ~260 bytes: about 5 MB of values, the token in every one.
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 20000) "
                "INSERT INTO zanzibar_ledger SELECT x, printf('Vermilion Quixotic Aardvark %06d', x), "
                "hex(randomblob(100)), randomblob(16) FROM c",
                "UPDATE zanzibar_ledger SET marmoset_remark = 'Obsidian-Pelican-Lighthouse' WHERE id = 777",
                "UPDATE zanzibar_ledger SET marmoset_remark = 'Ñandú-Überfluß-日本語-🦜' WHERE id = 778",
                "UPDATE zanzibar_ledger SET payload = X'00' || CAST('BLOBMARKER-Zephyr-Kumquat' AS BLOB) "
                "|| X'FF' WHERE id = 779",
                database=d)

    def variants(self, token):
        out = set()
        for t in (token, token.lower(), token.upper()):
            out.add(t.encode("utf-8"))
        return out

    def find_tokens(self, root, tokens):
        """(relative path, token) for every token variant found in any file under root."""
        found = []
        for path in all_files(root):
            data = read_bytes(path)
            for token in tokens:
                for v in self.variants(token):
                    if v in data:
                        found.append((os.path.relpath(path, root), token))
        return found

    def test_no_plaintext_in_encrypted_backup(self):
        self.make_data()
        self.ok("BACKUP INTO 'nodelocal://1/secret'" + with_pw())
        root = self.coll("secret")
        files = all_files(root)
        self.assertGreaterEqual(sum(os.path.getsize(p) for p in files), 2 << 20,
                                "the backup should hold megabytes of values")
        self.assertEqual(self.find_tokens(root, self.TOKENS + [PW]), [])
        # Only LATEST and ENCRYPTION-INFO are plaintext; everything else is an encrypted stream.
        plain = sorted(os.path.basename(p) for p in files
                       if not read_bytes(p).startswith(AEAD_MAGIC))
        self.assertEqual(plain, ["ENCRYPTION-INFO", "LATEST"])
        subdir = read_latest(root)
        self.assertEqual(read_bytes(os.path.join(root, "LATEST")).decode().strip("/\n"), subdir)
        kinds = sorted({os.path.splitext(p)[1] or os.path.basename(p) for p in files})
        self.assertIn(".cfd", kinds)
        self.assertIn("BACKUP_MANIFEST", kinds)
        # Ciphertext looks random: it does not compress.
        import zlib
        for p in files:
            if p.endswith(".cfd") and os.path.getsize(p) > 100_000:
                b = read_bytes(p)
                self.assertGreater(len(zlib.compress(b, 9)), 0.99 * len(b), p)
        # ENCRYPTION-INFO holds wrapped keys, never the passphrase nor anything derived from it
        # in an obvious form.
        info = read_bytes(os.path.join(root, subdir, "ENCRYPTION-INFO"))
        for v in (PW.encode(), PW.encode().hex().encode(), PW.encode("utf-16-le"),
                  hashlib.sha256(PW.encode()).digest()):
            self.assertNotIn(v, info)
        self.assertLess(len(info), 4096)
        # And the backup restores, so the scan above looked at a real backup.
        self.ok("RESTORE DATABASE quetzalvault FROM LATEST IN 'nodelocal://1/secret'" + with_pw()
                + ", new_db_name = 'back'")
        self.assertEqual(self.rows("SELECT count(*) AS n FROM back.zanzibar_ledger"), [{"n": 20000}])
        self.assertEqual(self.rows("SELECT marmoset_remark AS r FROM back.zanzibar_ledger WHERE id = 778"),
                         [{"r": "Ñandú-Überfluß-日本語-🦜"}])

    def test_scan_finds_plaintext_of_an_unencrypted_backup(self):
        # Control: the same scan over an unencrypted backup of the same data finds the names, so
        # the empty result above is not an accident of the scanner.
        self.make_data()
        self.ok("BACKUP INTO 'nodelocal://1/open'")
        found = {t for _, t in self.find_tokens(self.coll("open"), self.TOKENS)}
        for name in ("zanzibar_ledger", "quokka_balance", "idx_wombat_lookup",
                     "view_narwhal_summary", "trg_ocelot_audit", "quetzalvault"):
            self.assertIn(name, found)

    def test_passphrase_never_stored_or_echoed(self):
        self.ok("CREATE TABLE t (x)", "INSERT INTO t VALUES (1)")
        r = self.ok("BACKUP INTO 'nodelocal://1/p'" + with_pw())
        self.assertNotIn(PW, r.stdout + r.stderr)
        other = os.path.join(self.tmp, "other")
        r = self.ok(f"RESTORE FROM LATEST IN '{file_uri(self.coll('p'))}'" + with_pw(), data=other)
        self.assertNotIn(PW, r.stdout + r.stderr)
        # A failing statement's error does not echo it either.
        r = self.fails("RESTORE DATABASE nope FROM LATEST IN 'nodelocal://1/p'" + with_pw())
        self.assertNotIn(PW, r.stderr)
        r = self.fails("BACKUP INTO 'nodelocal://1/p' WITH encryption_passphrase = '" + sq(PW) + "' garbage")
        self.assertNotIn(PW, r.stderr)
        # Job records show the option redacted.
        jobs = self.ok("SHOW JOBS", fmt="json").stdout
        self.assertNotIn(PW, jobs)
        self.assertIn("encryption_passphrase = '*****'", jobs)
        # Nothing in either data directory holds it (system database, its WAL, job records).
        for root in (self.data, other):
            for p in all_files(root):
                if os.sep + "extern" + os.sep in p:
                    continue
                self.assertNotIn(PW.encode(), read_bytes(p), p)


# ------------------------------------------------------------------------------------------------
# 2. Key errors


class KeyErrorTest(EncryptionCase):
    def setUp(self):
        super().setUp()
        make_shop(self)
        self.ok("BACKUP INTO 'nodelocal://1/enc'" + with_pw(), "BACKUP INTO 'nodelocal://1/plain'")
        # Restores go to a second, fresh data directory reading the collections by file:// URI.
        self.other = os.path.join(self.tmp, "other")
        self.ok("SELECT 1", data=self.other)
        self.enc = file_uri(self.coll("enc"))
        self.plain = file_uri(self.coll("plain"))

    def reading_statements(self, uri, opts=""):
        return [f"RESTORE FROM LATEST IN '{uri}'{opts}",
                f"RESTORE DATABASE shop FROM LATEST IN '{uri}'{opts}",
                f"RESTORE TABLE shop.items FROM LATEST IN '{uri}'" + (opts + ", " if opts else " WITH ")
                + "into_db = 'defaultdb'",
                f"SHOW BACKUP FROM LATEST IN '{uri}'{opts}",
                f"SHOW BACKUP SCHEMAS FROM LATEST IN '{uri}'{opts}",
                f"SHOW BACKUP FILES FROM LATEST IN '{uri}'{opts}"]

    def test_encrypted_backup_without_passphrase(self):
        subdir = read_latest(self.coll("enc"))
        for stmt in self.reading_statements(self.enc):
            with self.subTest(stmt=stmt):
                err = self.fails_cleanly(stmt, contains=["encrypted", "encryption_passphrase"],
                                         data=self.other, problem=False)
                self.assertNotIn("not encrypted", err)
                self.assertIn(subdir, err)
        # Also by explicit subdirectory.
        self.fails_cleanly(f"SHOW BACKUP FROM '/{subdir}' IN '{self.enc}'",
                           contains=["encrypted", "encryption_passphrase"], data=self.other,
                           problem=False)

    def test_wrong_passphrase(self):
        for wrong in ("Not-The-Passphrase-4417", PW.upper(), PW + " ", PW[:-1], " " + PW):
            for stmt in self.reading_statements(self.enc, with_pw(wrong)):
                with self.subTest(stmt=stmt.replace(sq(wrong), "<wrong>"), wrong=wrong):
                    err = self.fails_cleanly(stmt, contains=["passphrase", "wrong"], data=self.other,
                                             problem=False)
                    # Neither the given passphrase nor the right one is echoed.
                    self.assertNotIn(PW[:-1], err)
                    self.assertNotIn(PW.upper()[:-1], err)
                    self.assertNotIn("Not-The-Passphrase", err)

    def test_wrong_passphrase_detected_before_any_data_file_is_read(self):
        # With every data file gone the error is still "wrong passphrase", not "missing file":
        # the passphrase is checked at unwrap, first.
        for p in data_files(self.coll("enc")):
            os.remove(p)
        self.fails_cleanly(f"RESTORE FROM LATEST IN '{self.enc}'" + with_pw("nope"),
                           contains=["passphrase is wrong"], data=self.other, problem=False)
        # With the right one, the missing file is named.
        self.fails_cleanly(f"RESTORE FROM LATEST IN '{self.enc}'" + with_pw(),
                           contains=["data/", "missing"], data=self.other)

    def test_right_passphrase_restores(self):
        self.ok(f"RESTORE FROM LATEST IN '{self.enc}'" + with_pw(), data=self.other)
        self.assertEqual(self.rows("SELECT id, name, price FROM shop.items ORDER BY id", data=self.other),
                         [{"id": 1, "name": "pen", "price": 1.5}, {"id": 2, "name": "ink", "price": 3.25},
                          {"id": 3, "name": "paper", "price": None}])
        self.assertEqual(self.rows("SELECT count(*) AS n, sum(qty) AS q FROM shop.orders", data=self.other),
                         [{"n": 500, "q": 7 * 500 * 501 // 2}])

    def test_passphrase_for_unencrypted_backup(self):
        for stmt in self.reading_statements(self.plain, with_pw()):
            with self.subTest(stmt=stmt):
                # A backup taken encrypted and found unencrypted was rewritten by someone: the
                # hint says so rather than only "remove the option" (issue 13 §3).
                self.fails_cleanly(stmt, contains=["not encrypted", "tampered"], data=self.other,
                                   problem=False)

    def test_empty_passphrase_refused(self):
        before = tree_digest(self.coll("enc"))
        self.fails("BACKUP INTO 'nodelocal://1/enc' WITH encryption_passphrase = ''", contains="empty")
        self.assertEqual(tree_digest(self.coll("enc")), before, "a refused BACKUP wrote files")
        self.assertFalse(os.path.exists(self.coll("fresh")))
        self.fails("BACKUP INTO 'nodelocal://1/fresh' WITH encryption_passphrase = ''", contains="empty")
        self.assertFalse(os.path.exists(self.coll("fresh")) and all_files(self.coll("fresh")))
        for stmt in self.reading_statements(self.enc, " WITH encryption_passphrase = ''"):
            with self.subTest(stmt=stmt):
                self.fails_cleanly(stmt, contains=["encryption_passphrase", "empty"], data=self.other,
                                   problem=False)

    def test_kms_with_passphrase_refused(self):
        kms = "aws:///alias/k?AUTH=implicit&REGION=us-east-1"
        both = f" WITH encryption_passphrase = '{sq(PW)}', kms = '{kms}'"
        self.fails("BACKUP INTO 'nodelocal://1/both'" + both, contains=["kms", "encryption_passphrase"])
        self.assertFalse(os.path.exists(self.coll("both")) and all_files(self.coll("both")))
        for stmt in self.reading_statements(self.enc, both):
            with self.subTest(stmt=stmt):
                self.fails_cleanly(stmt, contains=["kms", "encryption_passphrase"], data=self.other,
                                   problem=False)

    def test_show_backups_needs_no_key(self):
        self.ok("BACKUP INTO 'nodelocal://1/enc'" + with_pw())
        paths = [r["path"] for r in self.rows(f"SHOW BACKUPS IN '{self.enc}'", data=self.other)]
        self.assertEqual(len(paths), 2)
        on_disk = sorted("/" + os.path.relpath(os.path.dirname(p), self.coll("enc"))
                         for p in all_files(self.coll("enc")) if p.endswith("BACKUP_MANIFEST"))
        self.assertEqual(paths, on_disk)
        # Even with ENCRYPTION-INFO damaged: listing reads only directory names.
        for p in all_files(self.coll("enc")):
            if p.endswith("ENCRYPTION-INFO"):
                write_bytes(p, b"garbage")
        self.assertEqual([r["path"] for r in self.rows(f"SHOW BACKUPS IN '{self.enc}'", data=self.other)],
                         paths)


# ------------------------------------------------------------------------------------------------
# 2b. Damaged or missing files: the error names the file and the problem; nothing is restored.


class DamagedBackupTest(EncryptionCase):
    def setUp(self):
        super().setUp()
        make_shop(self)
        self.other = os.path.join(self.tmp, "other")
        self.ok("SELECT 1", data=self.other)

    def backup(self, name, encrypted=True):
        self.ok(f"BACKUP INTO 'nodelocal://1/{name}'" + (with_pw() if encrypted else ""))
        root = self.coll(name)
        return root, read_latest(root)

    def restore_fails(self, name, contains, encrypted=True, problem=True):
        uri = file_uri(self.coll(name))
        opts = with_pw() if encrypted else ""
        errs = []
        for stmt in (f"RESTORE FROM LATEST IN '{uri}'{opts}",
                     f"RESTORE DATABASE shop FROM LATEST IN '{uri}'{opts}",
                     f"RESTORE TABLE shop.* FROM LATEST IN '{uri}'" + (opts + ", " if opts else " WITH ")
                     + "into_db = 'defaultdb'"):
            with self.subTest(stmt=stmt):
                errs.append(self.fails_cleanly(stmt, contains=contains, data=self.other, problem=problem))
        return errs

    def show_fails(self, name, contains, encrypted=True):
        uri = file_uri(self.coll(name))
        return self.fails(f"SHOW BACKUP FROM LATEST IN '{uri}'" + (with_pw() if encrypted else ""),
                          contains=contains, data=self.other).stderr

    def test_corrupt_encryption_info(self):
        cases = {
            "garbage": lambda p: write_bytes(p, b"this is not a protobuf \xff\xff\xff\xff"),
            "empty": lambda p: write_bytes(p, b""),
            "half": lambda p: truncate(p, os.path.getsize(p) // 2),
            "appended": lambda p: append(p, b"\xff\xff\xff"),
        }
        for label, damage in cases.items():
            with self.subTest(case=label):
                root, subdir = self.backup("ei_" + label)
                damage(os.path.join(root, subdir, "ENCRYPTION-INFO"))
                self.restore_fails("ei_" + label, ["ENCRYPTION-INFO"])
                self.show_fails("ei_" + label, ["ENCRYPTION-INFO"])

    def flip_every_byte_of_encryption_info(self):
        """{offset: stderr of SHOW BACKUP} with one bit flipped at each offset of ENCRYPTION-INFO;
        each case must fail. Also restores once per damaged region, which must restore nothing."""
        root, subdir = self.backup("ei_flip")
        path = os.path.join(root, subdir, "ENCRYPTION-INFO")
        pristine = read_bytes(path)
        errors = {}
        for offset in range(len(pristine)):
            write_bytes(path, pristine)
            flip(path, offset)
            errors[offset] = self.fails(f"SHOW BACKUP FROM LATEST IN '{file_uri(root)}'" + with_pw(),
                                        data=self.other).stderr
            if offset % 16 == 0:
                self.fails_cleanly(f"RESTORE FROM LATEST IN '{file_uri(root)}'" + with_pw(),
                                   data=self.other, problem=False)
        write_bytes(path, pristine)
        self.ok(f"RESTORE FROM LATEST IN '{file_uri(root)}'" + with_pw(), data=self.other)
        return errors

    def test_every_flipped_byte_of_encryption_info_is_reported_as_damage(self):
        # A flipped bit anywhere in ENCRYPTION-INFO (chain id, iteration count, salt, wrapped key,
        # checksum) is damage to the file, never a wrong passphrase: the file's checksum catches
        # it before any key is unwrapped, and the error names ENCRYPTION-INFO.
        errors = self.flip_every_byte_of_encryption_info()
        self.assertGreater(len(errors), 64)
        for offset, err in errors.items():
            self.assertIn("ENCRYPTION-INFO", err, f"offset {offset}")
            self.assertNotIn("passphrase is wrong", err, f"offset {offset}")

    def test_encryption_info_from_another_backup(self):
        # Same passphrase, another chain's ENCRYPTION-INFO: the passphrase unwraps a key, but it
        # is not this backup's key; the manifest fails to authenticate and nothing is restored.
        root, old = self.backup("ei_swap")
        self.ok("INSERT INTO shop.items VALUES (4, 'clip', 0.1)")
        _, new = self.backup("ei_swap")
        self.assertNotEqual(old, new)
        shutil.copyfile(os.path.join(root, old, "ENCRYPTION-INFO"), os.path.join(root, new, "ENCRYPTION-INFO"))
        self.restore_fails("ei_swap", [new])

    def test_missing_encryption_info(self):
        root, subdir = self.backup("ei_missing")
        os.remove(os.path.join(root, subdir, "ENCRYPTION-INFO"))
        self.restore_fails("ei_missing", ["ENCRYPTION-INFO", "missing"])
        # Without a passphrase it must not claim the backup is unencrypted.
        err = self.fails(f"RESTORE FROM LATEST IN '{file_uri(root)}'", data=self.other,
                         contains=["ENCRYPTION-INFO", "missing"]).stderr
        self.assertNotIn("not encrypted", err)
        self.show_fails("ei_missing", ["ENCRYPTION-INFO", "missing"])

    def test_corrupt_manifest(self):
        for encrypted in (True, False):
            with self.subTest(encrypted=encrypted):
                name = "m_corrupt_" + ("enc" if encrypted else "plain")
                root, subdir = self.backup(name, encrypted)
                path = os.path.join(root, subdir, "BACKUP_MANIFEST")
                flip(path, os.path.getsize(path) // 2)
                self.restore_fails(name, [subdir + "/BACKUP_MANIFEST"], encrypted)
                self.show_fails(name, [subdir + "/BACKUP_MANIFEST"], encrypted)

    def test_missing_manifest(self):
        for encrypted in (True, False):
            with self.subTest(encrypted=encrypted):
                name = "m_missing_" + ("enc" if encrypted else "plain")
                root, subdir = self.backup(name, encrypted)
                os.remove(os.path.join(root, subdir, "BACKUP_MANIFEST"))
                self.restore_fails(name, ["BACKUP_MANIFEST", subdir], encrypted, problem=False)
                self.show_fails(name, ["BACKUP_MANIFEST", subdir], encrypted)
                # A directory without a manifest is not a finished backup: not listed.
                self.assertEqual(self.rows(f"SHOW BACKUPS IN '{file_uri(root)}'", data=self.other), [])

    def test_damaged_data_file(self):
        damages = {
            "missing": (os.remove, "missing"),
            "flipped": (lambda p: flip(p, os.path.getsize(p) // 2), None),
            "truncated": (lambda p: truncate(p, os.path.getsize(p) - 1), None),
            "empty": (lambda p: truncate(p, 0), None),
        }
        for encrypted in (True, False):
            for label, (damage, word) in damages.items():
                with self.subTest(encrypted=encrypted, case=label):
                    name = f"d_{label}_{'enc' if encrypted else 'plain'}"
                    root, subdir = self.backup(name, encrypted)
                    files = data_files(root)
                    self.assertGreaterEqual(len(files), 2)
                    target = files[-1]
                    damage(target)
                    contains = [rel(root, target)] + ([word] if word else [])
                    self.restore_fails(name, contains, encrypted)


# ------------------------------------------------------------------------------------------------
# 3. Tamper matrix


class TamperMatrixTest(unittest.TestCase):
    """One source data directory and backups built once; every case damages a fresh copy of the
    pristine collection and restores it into one restore data directory that must stay empty."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cofre-tamper-")
        cls.src = os.path.join(cls.tmp, "src")
        cls.dst = os.path.join(cls.tmp, "dst")
        helper = EncryptionCase("run")
        helper.data = cls.src
        cls.h = helper
        make_shop(helper, database="tamper", big_rows=300)
        # Collection A holds an older backup and the newest one (LATEST); B (same passphrase or
        # none) holds a backup of the same data in another chain.
        for mode, opts in (("enc", with_pw()), ("plain", "")):
            # The older backup holds one more row than the source and the newer backups.
            helper.ok("INSERT INTO tamper.items VALUES (10, 'only-in-the-older-backup', 0)")
            helper.ok(f"BACKUP DATABASE tamper INTO 'nodelocal://1/{mode}_a'{opts}")
            helper.ok("DELETE FROM tamper.items WHERE id = 10")
            helper.ok(f"BACKUP DATABASE tamper INTO 'nodelocal://1/{mode}_a'{opts}",
                      f"BACKUP DATABASE tamper INTO 'nodelocal://1/{mode}_b'{opts}")
        helper.ok("SELECT 1", data=cls.dst)
        cls.case_no = 0

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def fresh_copy(self, mode):
        TamperMatrixTest.case_no += 1
        dst = os.path.join(self.tmp, "cases", f"{mode}{self.case_no}")
        shutil.copytree(self.h.coll(f"{mode}_a", self.src), dst)
        return dst

    def files_of(self, root, subdir):
        """Manifest and data files of backup `subdir`, keyed by role."""
        files = data_files(root, subdir)
        big = max(files, key=os.path.getsize)
        small = [f for f in files if f != big]
        return {"manifest": os.path.join(root, subdir, "BACKUP_MANIFEST"), "big": big,
                "small": small[0], "small2": small[1]}

    def run_case(self, mode, label, mutate):
        """Applies `mutate` to a fresh copy; it returns the damaged file(s) one of which the error
        must name, or None when the case is a no-op for this mode (identical bytes)."""
        with self.subTest(mode=mode, case=label):
            root = self.fresh_copy(mode)
            subdirs = sorted(os.path.relpath(os.path.dirname(p), root)
                             for p in all_files(root) if p.endswith("BACKUP_MANIFEST"))
            self.assertEqual(len(subdirs), 2)
            old, new = subdirs
            self.assertEqual(read_latest(root), new)
            other_root = self.h.coll(f"{mode}_b", self.src)
            ctx = {"root": root, "old": self.files_of(root, old), "new": self.files_of(root, new),
                   "other": self.files_of(other_root, read_latest(other_root))}
            before = tree_digest(root)
            targets = mutate(ctx)
            if targets is None:
                self.assertEqual(mode, "plain", "encrypted files never repeat their bytes")
                return
            self.assertNotEqual(tree_digest(root), before, "the case changed nothing")
            names = [rel(root, t) for t in ([targets] if isinstance(targets, str) else targets)]
            opts = with_pw() if mode == "enc" else ""
            uri = file_uri(root)
            try:
                # A verify (RESTORE ... WITH schema_only, verify_backup_table_data) must find
                # every case a restore finds, naming the same file.
                for stmt in (f"RESTORE DATABASE tamper FROM LATEST IN '{uri}'{opts}",
                             f"RESTORE TABLE tamper.* FROM LATEST IN '{uri}'"
                             + (opts + ", " if opts else " WITH ") + "into_db = 'defaultdb'",
                             f"RESTORE DATABASE tamper FROM LATEST IN '{uri}'"
                             + (opts + ", " if opts else " WITH ")
                             + "schema_only, verify_backup_table_data"):
                    err = self.h.fails_cleanly(stmt, data=self.dst)
                    self.assertTrue(any(n in err for n in names), f"error names none of {names}: {err}")
            finally:
                # An unexpected success must not spoil the cases after it.
                self.h.cofre("DROP DATABASE IF EXISTS tamper CASCADE",
                             "DROP TABLE IF EXISTS items", "DROP TABLE IF EXISTS orders",
                             "DROP TABLE IF EXISTS big", data=self.dst)

    def matrix(self, mode):
        enc = mode == "enc"
        cases = []
        for role in ("manifest", "big", "small"):
            def size(ctx, role=role):
                return os.path.getsize(ctx["new"][role])
            header_offsets = [0, 4, 5, 8, 9, 30, 41, 47] if enc else [0, 3]
            for off in header_offsets:
                cases.append((f"{role}: flip header byte {off}",
                              lambda ctx, role=role, off=off: (flip(ctx["new"][role], off), ctx["new"][role])[1]))
            cases.append((f"{role}: flip first body byte",
                          lambda ctx, role=role: (flip(ctx["new"][role], AEAD_HEADER if enc else 4),
                                                  ctx["new"][role])[1]))
            cases.append((f"{role}: flip middle byte",
                          lambda ctx, role=role: (flip(ctx["new"][role], size(ctx, role) // 2), ctx["new"][role])[1]))
            cases.append((f"{role}: flip last byte",
                          lambda ctx, role=role: (flip(ctx["new"][role], size(ctx, role) - 1), ctx["new"][role])[1]))
            cases.append((f"{role}: truncate by 1 byte",
                          lambda ctx, role=role: (truncate(ctx["new"][role], size(ctx, role) - 1), ctx["new"][role])[1]))
            cases.append((f"{role}: truncate to its header",
                          lambda ctx, role=role: (truncate(ctx["new"][role], AEAD_HEADER if enc else 4),
                                                  ctx["new"][role])[1]))
            cases.append((f"{role}: append 1 byte",
                          lambda ctx, role=role: (append(ctx["new"][role], b"\0"), ctx["new"][role])[1]))
            cases.append((f"{role}: append a 16-byte block",
                          lambda ctx, role=role: (append(ctx["new"][role], os.urandom(16)), ctx["new"][role])[1]))
            cases.append((f"{role}: replace with the older backup's",
                          lambda ctx, role=role: replace_file(ctx["old"][role], ctx["new"][role])))
            cases.append((f"{role}: replace with another chain's",
                          lambda ctx, role=role: replace_file(ctx["other"][role], ctx["new"][role])))
        # Chunk-level damage of the big data file (> 200 KiB: several 64 KiB chunks).
        step = SEALED_CHUNK if enc else CHUNK
        base = AEAD_HEADER if enc else 0
        for k in (1, 2, 3):
            cases.append((f"big: truncate at chunk boundary {k}",
                          lambda ctx, k=k: (truncate(ctx["new"]["big"], base + k * step), ctx["new"]["big"])[1]))
        cases.append(("big: flip a byte of chunk 0's tag",
                      lambda ctx: (flip(ctx["new"]["big"], base + step - 1), ctx["new"]["big"])[1]))

        def reorder(ctx):
            p = ctx["new"]["big"]
            b = read_bytes(p)
            c1, c2 = b[base + step:base + 2 * step], b[base + 2 * step:base + 3 * step]
            write_bytes(p, b[:base + step] + c2 + c1 + b[base + 3 * step:])
            return p
        cases.append(("big: chunks 1 and 2 swapped", reorder))

        def drop_chunk(ctx):
            p = ctx["new"]["big"]
            b = read_bytes(p)
            write_bytes(p, b[:base + step] + b[base + 2 * step:])
            return p
        cases.append(("big: chunk 1 removed", drop_chunk))

        def dup_chunk(ctx):
            p = ctx["new"]["big"]
            b = read_bytes(p)
            write_bytes(p, b[:base + 2 * step] + b[base + step:])
            return p
        cases.append(("big: chunk 1 duplicated", dup_chunk))

        def swap_files(ctx):
            swap(ctx["new"]["big"], ctx["new"]["small"])
            return [ctx["new"]["big"], ctx["new"]["small"]]
        cases.append(("swap two data files of the backup", swap_files))

        def swap_small(ctx):
            swap(ctx["new"]["small"], ctx["new"]["small2"])
            return [ctx["new"]["small"], ctx["new"]["small2"]]
        cases.append(("swap the two small data files", swap_small))

        def old_manifest_and_files(ctx):
            # The whole older backup copied over the newer one's files: every file is genuine
            # but sits at another path.
            for role in ("manifest", "big", "small", "small2"):
                shutil.copyfile(ctx["old"][role], ctx["new"][role])
            return [ctx["new"][r] for r in ("manifest", "big", "small", "small2")]
        cases.append(("older backup's manifest and data files over the newer ones", old_manifest_and_files))

        def flip_both_copies(ctx):
            # Damage in two files at once: the first file read (the manifest) is named.
            flip(ctx["new"]["manifest"], os.path.getsize(ctx["new"]["manifest"]) // 3)
            flip(ctx["new"]["small"], os.path.getsize(ctx["new"]["small"]) // 2)
            return ctx["new"]["manifest"]
        cases.append(("manifest and data file both flipped", flip_both_copies))
        return cases

    def check_matrix(self, mode):
        # The pristine backups restore (and so every failure below is the damage's).
        root = self.fresh_copy(mode)
        opts = with_pw() if mode == "enc" else ""
        big = self.files_of(root, read_latest(root))["big"]
        self.assertGreater(os.path.getsize(big), 200 * 1024)
        pristine = "pristine_" + mode
        self.h.ok(f"RESTORE DATABASE tamper FROM LATEST IN '{file_uri(root)}'"
                  + (opts + ", " if opts else " WITH ") + f"new_db_name = '{pristine}'", data=self.dst)
        src_path, dst_path = self.h.db_path("tamper", self.src), self.h.db_path(pristine, self.dst)
        for t in ("items", "orders", "big"):
            self.assertEqual(table_dump(src_path, t), table_dump(dst_path, t), t)
        self.h.ok(f"DROP DATABASE {pristine} CASCADE", data=self.dst)
        cases = self.matrix(mode)
        self.assertGreaterEqual(len(cases), 40)
        for label, mutate in cases:
            self.run_case(mode, label, mutate)

    def test_encrypted(self):
        self.check_matrix("enc")

    def test_unencrypted(self):
        self.check_matrix("plain")


# ------------------------------------------------------------------------------------------------
# 4. Golden backups


def decode_value(v):
    """Inverse of make_golden.encode_value: [type, text] -> the value Python's sqlite3 returns."""
    kind, text = v
    if kind == "null":
        return None
    if kind == "integer":
        return int(text)
    if kind == "real":
        return float.fromhex(text)
    if kind == "text":
        return text
    if kind == "blob":
        return bytes.fromhex(text)
    raise ValueError(kind)


def quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


def dump_rows(path, table):
    """Every row of `table` in key order (rowid first for rowid tables), as Python's sqlite3
    returns the values. Unlike table_dump it quotes any table or column name."""
    con = sqlite3.connect(path)
    try:
        cols = [r[1] for r in con.execute(f"PRAGMA table_xinfo({quote_ident(table)})") if r[6] == 0]
        wr = con.execute("SELECT wr FROM pragma_table_list WHERE name = ?", (table,)).fetchone()[0]
        sel = ", ".join(quote_ident(c) for c in cols)
        if wr:
            pk = [r[1] for r in sorted((r for r in con.execute(f"PRAGMA table_info({quote_ident(table)})")
                                        if r[5]), key=lambda r: r[5])]
            order = ", ".join(quote_ident(c) for c in pk)
            return con.execute(f"SELECT {sel} FROM {quote_ident(table)} ORDER BY {order}").fetchall()
        return con.execute(f"SELECT rowid, {sel} FROM {quote_ident(table)} ORDER BY rowid").fetchall()
    finally:
        con.close()


def typed(value):
    """A value with its SQLite storage class, so that 1 and 1.0 differ; reals bit-exact."""
    if value is None:
        return ("null", None)
    if isinstance(value, int):
        return ("integer", value)
    if isinstance(value, float):
        return ("real", value.hex())
    if isinstance(value, str):
        return ("text", value)
    return ("blob", bytes(value).hex())


class GoldenBackupTest(EncryptionCase):
    def load(self, name):
        d = os.path.join(GOLDEN, name)
        with open(os.path.join(d, "expected.json")) as f:
            return d, json.load(f)

    def check_database(self, expected_db, path):
        con = sqlite3.connect(path)
        try:
            schema = sorted([list(r) for r in con.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_schema "
                "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")])
            self.assertEqual(schema, sorted(expected_db["schema"]))
            for pragma in ("user_version", "application_id"):
                self.assertEqual(con.execute(f"PRAGMA {pragma}").fetchone()[0], expected_db[pragma], pragma)
            self.assertEqual(con.execute("PRAGMA integrity_check").fetchone()[0], "ok")
            seq = expected_db.get("sqlite_sequence")
            if seq is not None:
                self.assertEqual([list(r) for r in con.execute(
                    "SELECT name, seq FROM sqlite_sequence ORDER BY name")], seq)
        finally:
            con.close()
        for table, rows in expected_db["tables"].items():
            got = [[typed(v) for v in row] for row in dump_rows(path, table)]
            want = [[typed(decode_value(v)) for v in row] for row in rows]
            self.assertEqual(got, want, table)

    def restore_golden(self, name, opts):
        d, expected = self.load(name)
        coll = os.path.join(d, "collection")
        digest = tree_digest(coll)
        # (a) straight from the checked-in directory by file:// URI: restore must not write there.
        self.ok(f"RESTORE FROM LATEST IN '{file_uri(coll)}'{opts}")
        self.assertEqual(tree_digest(coll), digest, "RESTORE modified the golden backup")
        for db, want in expected["databases"].items():
            self.check_database(want, self.db_path(db))
        # (b) copied into a fresh data directory's extern/ and read by nodelocal, by subdirectory.
        other = os.path.join(self.tmp, "other")
        self.ok("SELECT 1", data=other)
        shutil.copytree(coll, self.coll("golden", other))
        subdir = expected["subdir"]
        self.assertEqual([r["path"] for r in self.rows("SHOW BACKUPS IN 'nodelocal://1/golden'", data=other)],
                         ["/" + subdir])
        self.ok(f"RESTORE DATABASE goldendb FROM '/{subdir}' IN 'nodelocal://1/golden'"
                + (opts + ", " if opts else " WITH ") + "new_db_name = 'g2'", data=other)
        self.check_database(expected["databases"]["goldendb"], self.db_path("g2", other))
        # The restored schema works: the trigger fires, the view and index answer.
        self.ok("INSERT INTO g2.kinds (id, i) VALUES (1000, 1)", data=other)
        self.assertEqual(self.rows("SELECT count(*) AS n FROM g2.audit WHERE kind_id = 1000", data=other),
                         [{"n": 1}])
        self.assertEqual(self.rows("SELECT count(*) AS n FROM g2.kinds_summary", data=other),
                         [{"n": len(expected["databases"]["goldendb"]["tables"]["kinds"]) + 1}])
        plan = self.rows("EXPLAIN QUERY PLAN SELECT * FROM g2.kinds WHERE t = 'x'", data=other)
        self.assertIn("kinds_t", json.dumps(plan))
        # SHOW BACKUP lists what the expected file says.
        objs = self.rows(f"SHOW BACKUP FROM LATEST IN 'nodelocal://1/golden'{opts}", data=other)
        got = sorted([o["database_name"] or "", o["object_name"], o["object_type"], o["rows"]] for o in objs)
        self.assertEqual(got, sorted(expected["show_backup"]))
        return coll, other

    def test_golden_passphrase_v1(self):
        self.check_golden_passphrase("passphrase-v1")

    def test_golden_passphrase_v2(self):
        self.check_golden_passphrase("passphrase-v2")

    def check_golden_passphrase(self, name):
        coll, other = self.restore_golden(name, with_pw("golden-passphrase"))
        self.fails(f"RESTORE FROM LATEST IN '{file_uri(coll)}'", data=os.path.join(self.tmp, "x"),
                   contains=["encrypted", "encryption_passphrase"])
        self.fails(f"RESTORE FROM LATEST IN '{file_uri(coll)}'" + with_pw("golden-passphrasE"),
                   data=os.path.join(self.tmp, "x"), contains=["wrong"])
        # It is really encrypted: nothing recorded in expected.json appears in its bytes.
        for p in all_files(coll):
            if os.path.basename(p) not in ("LATEST", "ENCRYPTION-INFO"):
                b = read_bytes(p)
                self.assertTrue(b.startswith(AEAD_MAGIC), p)
                for word in (b"kinds", b"goldendb", b"audit", b"golden-passphrase"):
                    self.assertNotIn(word, b, p)

    def test_golden_plain_v1(self):
        self.check_golden_plain("plain-v1")

    def test_golden_plain_v2(self):
        self.check_golden_plain("plain-v2")

    def check_golden_plain(self, name):
        coll, _ = self.restore_golden(name, "")
        self.fails(f"RESTORE FROM LATEST IN '{file_uri(coll)}'" + with_pw("golden-passphrase"),
                   data=os.path.join(self.tmp, "x"), contains=["not encrypted"])


# ------------------------------------------------------------------------------------------------
# 5. An independent reader of docs/format.md (§2 encrypted files, §3 ENCRYPTION-INFO, §4 manifests,
#    §5 data and digest files), written from the document with Python's `cryptography`, hashlib and
#    the zstd command, sharing no code with cofre. It reads the golden backups and a backup the
#    cofre under test writes now: if cofre's bytes ever drift from the document (or the document
#    from cofre), these tests say so.


def pb_varint(buf, pos):
    shift = result = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, pos


def pb_fields(buf):
    """Protobuf wire format -> {field number: [values]} (varints as int, length-delimited as bytes)."""
    out, pos = {}, 0
    while pos < len(buf):
        key, pos = pb_varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = pb_varint(buf, pos)
        elif wire == 2:
            n, pos = pb_varint(buf, pos)
            value, pos = bytes(buf[pos:pos + n]), pos + n
        elif wire == 1:
            value, pos = bytes(buf[pos:pos + 8]), pos + 8
        elif wire == 5:
            value, pos = bytes(buf[pos:pos + 4]), pos + 4
        else:
            raise ValueError(f"wire type {wire}")
        out.setdefault(num, []).append(value)
    return out


def pb_one(fields, num, default=None):
    return fields.get(num, [default])[-1]


def pb_signed(v):
    return v - (1 << 64) if v >= 1 << 63 else v


class FormatReader:
    """Reads one backup of a collection as docs/format.md describes it."""

    def __init__(self, root, subdir, passphrase=None):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF
        self.AESGCM, self.HKDF, self.hashes = AESGCM, HKDF, hashes
        self.root, self.subdir = root, subdir
        self.data_key = self.chain_id = None
        info_path = os.path.join(root, subdir, "ENCRYPTION-INFO")
        if passphrase is not None:
            self.unlock(read_bytes(info_path), passphrase.encode())
        else:
            assert not os.path.exists(info_path), "encrypted backup read without a passphrase"
        manifest = self.read_file(f"{subdir}/BACKUP_MANIFEST")
        assert manifest[:4] == b"CFM1", manifest[:4]
        assert hashlib.sha256(manifest[:-32]).digest() == manifest[-32:], "manifest checksum"
        self.manifest = pb_fields(manifest[4:-32])

    def hkdf(self, ikm, salt, info, length):
        return self.HKDF(self.hashes.SHA256(), length, salt or None, info).derive(ikm)

    def unlock(self, info_bytes, passphrase):
        info = pb_fields(info_bytes)
        assert pb_one(info, 1) in (1, 2, 3), "ENCRYPTION-INFO format_version"
        if pb_one(info, 1) >= 2:
            # Version 2 ends with field 6: the SHA-256 of every byte before it.
            body, trailer = info_bytes[:-34], info_bytes[-34:]
            assert trailer[:2] == b"\x32\x20", "ENCRYPTION-INFO checksum field is not last"
            assert trailer[2:] == hashlib.sha256(body).digest() == pb_one(info, 6), \
                "ENCRYPTION-INFO checksum"
        self.chain_id = pb_one(info, 2)
        for entry in info.get(4, []):
            pp = pb_fields(entry).get(1)
            if not pp:
                continue
            pp = pb_fields(pp[0])
            assert pb_one(pp, 1) == 1, "kdf is PBKDF2_HMAC_SHA256"
            kek = hashlib.pbkdf2_hmac("sha256", passphrase, pb_one(pp, 3), pb_one(pp, 2), 32)
            wrapped = pb_one(pp, 4)
            assert len(wrapped) == 60
            self.data_key = self.AESGCM(kek).decrypt(wrapped[:12], wrapped[12:],
                                                     b"cofre-dk-wrap-v1" + self.chain_id)
        assert self.data_key is not None, "no passphrase entry"
        # Format 3 binds the format into the key check (docs/format.md §3).
        label = b"cofre-key-check-v3" if pb_one(info, 1) == 3 else b"cofre-key-check-v1"
        assert self.hkdf(self.data_key, self.chain_id, label, 16) == pb_one(info, 5), "key_check"

    def read_file(self, rel_path, expect=None):
        data = read_bytes(os.path.join(self.root, rel_path))
        if expect is not None:  # (size, sha256) recorded in the manifest
            assert (len(data), hashlib.sha256(data).digest()) == expect, f"{rel_path}: size/sha256"
        if self.data_key is None:
            return data
        header = data[:48]
        assert header[:5] == b"CFAE\x01", rel_path
        chunk_size = struct.unpack(">I", header[5:9])[0]
        salt, prefix = header[9:41], header[41:48]
        context = struct.pack(">I", len(self.chain_id)) + self.chain_id + rel_path.encode()
        info = b"cofre-file-v1" + struct.pack(">I", len(context)) + context
        aead = self.AESGCM(self.hkdf(self.data_key, salt, info, 32))
        body, sealed = data[48:], chunk_size + 16
        n = max(1, -(-len(body) // sealed))
        out = []
        for i in range(n):
            nonce = prefix + struct.pack(">I", i) + (b"\x01" if i == n - 1 else b"\x00")
            out.append(aead.decrypt(nonce, body[i * sealed:(i + 1) * sealed], header))
        return b"".join(out)

    def records(self, rel_path, magic, expect):
        """The record bodies of a data or digest file (§5), checking the end record."""
        plain = self.read_file(rel_path, expect)
        assert plain[:4] == magic, (rel_path, plain[:4])
        zstd = shutil.which("zstd")
        assert zstd, "the zstd command is needed to read data files independently of cofre"
        raw = subprocess.run([zstd, "-dcq"], input=plain[4:], capture_output=True, check=True).stdout
        pos, bodies = 0, []
        while True:
            n, pos = pb_varint(raw, pos)
            body, pos = raw[pos:pos + n], pos + n
            if body[0] == 0x7F:
                assert pb_varint(body, 1)[0] == len(bodies), f"{rel_path}: end record count"
                assert pos == len(raw), f"{rel_path}: bytes after the end record"
                return bodies
            bodies.append(body)

    @staticmethod
    def value(buf, pos):
        tag = buf[pos]
        pos += 1
        if tag == 0:
            return None, pos
        if tag == 1:
            z, pos = pb_varint(buf, pos)
            return (z >> 1) ^ -(z & 1), pos
        if tag == 2:
            return struct.unpack("<d", buf[pos:pos + 8])[0], pos + 8
        if tag == 5:
            return ROWID_REF, pos  # the record's (integer) rowid key, resolved by the caller
        n, pos2 = pb_varint(buf, pos)
        raw = bytes(buf[pos2:pos2 + n])
        if tag == 3:
            return raw.decode("utf-8"), pos2 + n
        if tag == 4:
            return raw, pos2 + n
        raise ValueError(f"value tag {tag}")

    def values(self, buf, pos):
        n, pos = pb_varint(buf, pos)
        out = []
        for _ in range(n):
            v, pos = self.value(buf, pos)
            out.append(v)
        return out, pos

    def tables(self):
        """{database: {table: rows}}, rows as dump_rows gives them (rowid first for rowid
        tables), rebuilt from the data files alone; legacy digest files checked on the way."""
        digest_key = self.hkdf(self.data_key, b"", b"cofre-row-digest-v1", 32) if self.data_key else None
        self.saw_digest_files = False
        out = {}
        for db in self.manifest.get(10, []):
            db = pb_fields(db)
            tables = out.setdefault(pb_one(db, 1).decode(), {})
            for t in db.get(2, []):
                t = pb_fields(t)
                without_rowid = bool(pb_one(t, 3, 0))
                rows = []
                for span in t.get(8, []):
                    for f in pb_fields(span).get(6, []):
                        f = pb_fields(f)
                        assert pb_one(f, 3) == 1, "a full backup has BASE files only"
                        bodies = self.records(pb_one(f, 1).decode(), b"CFD1",
                                              (pb_one(f, 6, 0), pb_one(f, 7, b"")))
                        assert len(bodies) == pb_one(f, 4, 0)
                        # Legacy row digest files (cofre 0.1, §5): checked when present;
                        # today's backups write none.
                        digests = None
                        if pb_one(f, 8) is not None:
                            digests = self.records(pb_one(f, 8).decode(), b"CFG1",
                                                   (pb_one(f, 9, 0), pb_one(f, 10, b"")))
                            assert len(digests) == len(bodies)
                        self.saw_digest_files = self.saw_digest_files or digests is not None
                        for i, body in enumerate(bodies):
                            assert body[0] == 1, "row record"
                            key, pos = self.values(body, 1)
                            vals, pos = self.values(body, pos)
                            assert pos == len(body)
                            assert ROWID_REF not in key, "a key refers to itself"
                            if ROWID_REF in vals:
                                assert len(key) == 1 and isinstance(key[0], int), "rowid reference"
                                vals = [key[0] if v is ROWID_REF else v for v in vals]
                            if digests is not None:
                                entry = digests[i]
                                assert entry[0] == 1
                                klen, p = pb_varint(entry, 1)
                                assert entry[p:p + klen] == body[1:1 + klen], "digest entry key"
                                want = (hmac.new(digest_key, body, "sha256").digest() if digest_key
                                        else hashlib.sha256(body).digest())[:16]
                                assert entry[p + klen:] == want, "row digest"
                            rows.append(tuple(vals) if without_rowid else tuple(key + vals))
                tables[pb_one(t, 1).decode()] = rows
        return out


class IndependentReaderTest(EncryptionCase):
    def check_golden(self, name, passphrase):
        d = os.path.join(GOLDEN, name)
        with open(os.path.join(d, "expected.json")) as f:
            expected = json.load(f)
        reader = FormatReader(os.path.join(d, "collection"), expected["subdir"], passphrase)
        got = reader.tables()
        # cofre 0.1 (the v1 goldens) wrote row digest files; 0.2 writes none.
        self.assertEqual(reader.saw_digest_files, name.endswith("-v1"), name)
        for db, want_db in expected["databases"].items():
            self.assertEqual(sorted(got[db]), sorted(want_db["tables"]), db)
            for table, rows in want_db["tables"].items():
                self.assertEqual([[typed(v) for v in row] for row in got[db][table]],
                                 [[typed(decode_value(v)) for v in row] for row in rows], f"{db}.{table}")

    def test_golden_passphrase_v1_matches_the_documented_format(self):
        self.check_golden("passphrase-v1", "golden-passphrase")

    def test_golden_plain_v1_matches_the_documented_format(self):
        self.check_golden("plain-v1", None)

    def test_golden_passphrase_v2_matches_the_documented_format(self):
        self.check_golden("passphrase-v2", "golden-passphrase")

    def test_golden_plain_v2_matches_the_documented_format(self):
        self.check_golden("plain-v2", None)

    def test_a_new_backup_matches_the_documented_format(self):
        # What the cofre under test writes today, read by the document's rules.
        make_shop(self, big_rows=80)
        self.ok("CREATE TABLE shop.pairs (k TEXT, n INT, v, PRIMARY KEY (k, n)) WITHOUT ROWID",
                "INSERT INTO shop.pairs VALUES ('a', 1, 1.5), ('b', -2, X'00'), ('c', 3, NULL)")
        for name, opts, pw in (("enc", with_pw(), PW), ("plain", "", None)):
            with self.subTest(encrypted=pw is not None):
                self.ok(f"BACKUP DATABASE shop INTO 'nodelocal://1/{name}'{opts}")
                root = self.coll(name)
                reader = FormatReader(root, read_latest(root), pw)
                got = reader.tables()["shop"]
                self.assertFalse(reader.saw_digest_files, "new backups write no digest files")
                self.assertEqual([f for _, _, fs in os.walk(root) for f in fs if f.endswith(".cfg")], [])
                src = self.db_path("shop")
                for table in ("items", "orders", "big", "pairs"):
                    self.assertEqual([[typed(v) for v in r] for r in got[table]],
                                     [[typed(v) for v in r] for r in dump_rows(src, table)], table)


if __name__ == "__main__":
    unittest.main()
