"""Tamper matrix over a whole backup chain (issue: robustness): a full backup and two incremental
layers, encrypted and not. For every file kind of every incremental layer (BACKUP_MANIFEST, data
files) and for LATEST: flip a byte, truncate, append, delete, swap with a sibling, replace with
the same-named file of another backup, replace with a file of an older layer. Each case must
either fail cleanly (an error naming the damaged file, no database created) or, where the damage
is indistinguishable from a legitimate state by design, restore exactly that state — never
wrong data, never a crash. (The full layer's files and ENCRYPTION-INFO: tests/encryption_test.py.)
"""
import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from cofre_testlib import CofreTestCase, table_dump  # noqa: E402

PW = "chain-tamper-pw"
TABLES = ("t", "kv")


def layer_dirs(root):
    """Collection-relative directories holding a BACKUP_MANIFEST, oldest first (full first)."""
    out = [os.path.relpath(d, root) for d, _, fs in os.walk(root) if "BACKUP_MANIFEST" in fs]
    return sorted(out, key=lambda p: (p.startswith("incrementals"), p))


def data_files(root, layer):
    d = os.path.join(root, layer, "data")
    return sorted(os.path.join(layer, "data", f) for f in os.listdir(d)) if os.path.isdir(d) else []


def flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x40]))


def append(path, data):
    with open(path, "ab") as f:
        f.write(data)


class ChainTamperTest(CofreTestCase):
    def setUp(self):
        super().setUp()
        os.environ["COFRE_BACKUP_TARGET_FILE_BYTES"] = "16384"  # several files per layer
        self.addCleanup(os.environ.pop, "COFRE_BACKUP_TARGET_FILE_BYTES", None)

    def states(self):
        path = self.db_path("shop")
        return {t: table_dump(path, t) for t in TABLES}

    def build(self, coll, with_opt, seed):
        """A full backup and two incrementals of a changing database into extern/<coll>; returns
        the database state at each layer."""
        self.ok("DROP DATABASE IF EXISTS shop CASCADE", "CREATE DATABASE shop",
                "CREATE TABLE shop.t (id INTEGER PRIMARY KEY, v TEXT, b BLOB)",
                "CREATE TABLE shop.kv (k TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID",
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 3000) "
                f"INSERT INTO shop.t SELECT x, 'v{seed}-' || x, randomblob(20 + x % 50) FROM c",
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 800) "
                f"INSERT INTO shop.kv SELECT 'k' || x, x * {seed} FROM c")
        uri = f"'nodelocal://1/{coll}'"
        states = []
        self.ok(f"BACKUP DATABASE shop INTO {uri} {with_opt}")
        states.append(self.states())
        for step in (1, 2):
            self.ok(f"UPDATE shop.t SET v = 'changed{step}', b = randomblob(60) WHERE id % 7 = {step}",
                    f"DELETE FROM shop.t WHERE id % 29 = {step}",
                    f"INSERT INTO shop.kv VALUES ('new{step}', {step})",
                    f"DELETE FROM shop.kv WHERE n % 31 = {step}")
            self.ok(f"BACKUP DATABASE shop INTO LATEST IN {uri} {with_opt}")
            states.append(self.states())
        return states

    def check_mode(self, encrypted):
        with_opt = f"WITH encryption_passphrase = '{PW}'" if encrypted else ""
        ext = os.path.join(self.data, "extern")
        states = self.build("other", with_opt, seed=3)
        other = os.path.join(ext, "other")
        states = self.build("c", with_opt, seed=1)
        root = os.path.join(ext, "c")
        pristine = os.path.join(self.tmp, "pristine")
        shutil.copytree(root, pristine)
        layers = layer_dirs(pristine)
        self.assertEqual(len(layers), 3, layers)
        other_layers = layer_dirs(other)
        restore = ("RESTORE DATABASE shop FROM LATEST IN 'nodelocal://1/c' "
                   + (f"{with_opt}, " if with_opt else "WITH ") + "new_db_name = 'r'")
        verify = ("RESTORE DATABASE shop FROM LATEST IN 'nodelocal://1/c' "
                  + (f"{with_opt}, " if with_opt else "WITH ") + "schema_only, verify_backup_table_data")

        def at(rel):
            return os.path.join(root, rel)

        cases = []  # (label, mutate(), expected): expected = list of names or ("state", i)
        for li in (1, 2):
            layer, older = layers[li], layers[li - 1]
            files = data_files(pristine, layer)
            self.assertGreaterEqual(len(files), 2, f"layer {layer} needs two data files")
            manifest = os.path.join(layer, "BACKUP_MANIFEST")
            other_manifest = os.path.join(other_layers[li], "BACKUP_MANIFEST")
            tag = f"layer {li}"
            for rel, kind in ((manifest, "manifest"), (files[0], "data file")):
                size = os.path.getsize(os.path.join(pristine, rel))
                cases += [
                    (f"{tag} {kind}: flip first byte", lambda r=rel: flip(at(r), 0), [rel]),
                    (f"{tag} {kind}: flip middle byte", lambda r=rel, s=size: flip(at(r), s // 2),
                     [rel]),
                    (f"{tag} {kind}: flip last byte", lambda r=rel, s=size: flip(at(r), s - 1),
                     [rel]),
                    (f"{tag} {kind}: truncated by one byte",
                     lambda r=rel, s=size: os.truncate(at(r), s - 1), [rel]),
                    (f"{tag} {kind}: emptied", lambda r=rel: os.truncate(at(r), 0), [rel]),
                    (f"{tag} {kind}: bytes appended",
                     lambda r=rel: append(at(r), b"\0extra"), [rel]),
                ]
            cases += [
                (f"{tag} data file: deleted", lambda r=files[0]: os.remove(at(r)), [files[0]]),
                (f"{tag} data file: swapped with a sibling",
                 lambda a=files[0], b=files[1]: (shutil.copyfile(at(a), at(a) + ".x"),
                                                 shutil.copyfile(at(b), at(a)),
                                                 shutil.move(at(a) + ".x", at(b))),
                 [files[0], files[1]]),
                (f"{tag} data file: the same-named file of another backup",
                 lambda r=files[0], o=data_files(other, other_layers[li])[0]:
                 shutil.copyfile(os.path.join(other, o), at(r)), [files[0]]),
                (f"{tag} data file: a data file of the older layer",
                 lambda r=files[0], o=data_files(pristine, older)[0]:
                 shutil.copyfile(os.path.join(pristine, o), at(r)), [files[0]]),
                (f"{tag} manifest: the same-named manifest of another backup",
                 lambda r=manifest, o=other_manifest: shutil.copyfile(os.path.join(other, o), at(r)),
                 [layer]),
                (f"{tag} manifest: the older layer's manifest",
                 lambda r=manifest, o=os.path.join(older, "BACKUP_MANIFEST"):
                 shutil.copyfile(os.path.join(pristine, o), at(r)), [manifest]),
            ]
        # A layer without a manifest is, by design, an unfinished backup: the newest layer's
        # deleted manifest leaves the previous layer as the newest. This data directory wrote
        # layer 2, so that shorter chain is refused as stale; WITH allow_older it restores layer
        # 1 exactly. The middle layer's manifest is not needed (each manifest is complete), so
        # the newest state restores.
        cases += [
            ("layer 2 manifest: deleted", lambda: os.remove(at(layers[2] + "/BACKUP_MANIFEST")),
             ("stale", 1)),
            ("layer 1 manifest: deleted", lambda: os.remove(at(layers[1] + "/BACKUP_MANIFEST")),
             ("state", 2)),
            ("LATEST: flipped byte", lambda: flip(at("LATEST"), 3), ["LATEST"]),
            ("LATEST: emptied", lambda: os.truncate(at("LATEST"), 0), ["LATEST"]),
            ("LATEST: deleted", lambda: os.remove(at("LATEST")), ["LATEST"]),
        ]

        failures = 0
        for label, mutate, expected in cases:
            with self.subTest(encrypted=encrypted, case=label):
                shutil.rmtree(root)
                shutil.copytree(pristine, root)
                mutate()
                r = self.cofre(restore)
                # A verify must find every case a restore finds (naming the same file), and
                # pass every case a restore passes; it never creates a database.
                v = self.cofre(verify)
                self.assertEqual(v.returncode, r.returncode, f"restore: {r!r}\nverify: {v!r}")
                if r.returncode:
                    self.assertEqual(isinstance(expected, tuple), "allow_older" in v.stderr, repr(v))
                    if not isinstance(expected, tuple):
                        self.assertTrue(any(name in v.stderr for name in expected),
                                        f"verify names none of {expected}: {v.stderr}")
                try:
                    if isinstance(expected, tuple) and expected[0] == "stale":
                        self.assertEqual(r.returncode, 1, repr(r))
                        self.assertIn("allow_older = true", r.stderr)
                        self.assertIsNone(self.db_path("r"), "a refused restore created a database")
                        v = self.cofre(verify + ", allow_older = true")
                        self.assertEqual(v.returncode, 0, repr(v))
                        self.assertIn("NOTICE: verified backup", v.stderr)
                        r = self.cofre(restore + ", allow_older = true")
                        self.assertIn("WARNING:", r.stderr)
                    if isinstance(expected, tuple):
                        self.assertEqual(r.returncode, 0, repr(r))
                        path = self.db_path("r")
                        self.assertEqual({t: table_dump(path, t) for t in TABLES},
                                         states[expected[1]])
                    else:
                        failures += 1
                        self.assertEqual(r.returncode, 1, repr(r))
                        self.assertIn("ERROR:", r.stderr)
                        self.assertNotIn("Traceback", r.stderr)
                        self.assertTrue(any(name in r.stderr for name in expected),
                                        f"error names none of {expected}: {r.stderr}")
                        self.assertIsNone(self.db_path("r"), "a failed restore created a database")
                finally:
                    self.cofre("DROP DATABASE IF EXISTS r CASCADE")
        self.assertGreaterEqual(failures, 30)
        # The pristine chain restores exactly, every layer.
        shutil.rmtree(root)
        shutil.copytree(pristine, root)
        self.ok(restore)
        self.assertEqual({t: table_dump(self.db_path("r"), t) for t in TABLES}, states[2])

    def test_encrypted_chain(self):
        self.check_mode(encrypted=True)

    def test_unencrypted_chain(self):
        self.check_mode(encrypted=False)


if __name__ == "__main__":
    unittest.main(verbosity=2)
