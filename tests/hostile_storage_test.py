"""A backup's storage is untrusted (issue 13 §3, §4): end-to-end checks of what cofre refuses
when someone who can write to a collection plants links, and when a KMS endpoint would carry
the data key in clear. (Forged manifests: tests/hostile_manifest_test.py.)
"""
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from cofre_testlib import COFRE, CofreTestCase  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


class SymlinkedCollectionTest(CofreTestCase):
    def setUp(self):
        super().setUp()
        self.coll_dir = os.path.join(self.tmp, "coll")
        self.coll = f"file://{self.coll_dir}"
        self.elsewhere = os.path.join(self.tmp, "elsewhere")
        os.makedirs(self.elsewhere)
        self.ok("CREATE DATABASE shop", "CREATE TABLE shop.t (id INTEGER PRIMARY KEY, v TEXT)",
                "INSERT INTO shop.t VALUES (1, 'a'), (2, 'b')",
                f"BACKUP DATABASE shop INTO '{self.coll}'")

    def test_symlinked_incrementals_directory_does_not_redirect_a_backup(self):
        os.symlink(self.elsewhere, os.path.join(self.coll_dir, "incrementals"))
        self.ok("INSERT INTO shop.t VALUES (3, 'c')")
        self.fails(f"BACKUP DATABASE shop INTO LATEST IN '{self.coll}'",
                   contains="symbolic link")
        self.assertEqual(os.listdir(self.elsewhere), [])

    def test_symlinked_data_file_is_not_read(self):
        data = []
        for d, _, files in os.walk(self.coll_dir):
            data += [os.path.join(d, f) for f in files if f.endswith(".cfd")]
        self.assertTrue(data)
        target = os.path.join(self.elsewhere, "copy.cfd")
        os.replace(data[0], target)
        os.symlink(target, data[0])
        self.fails(f"RESTORE DATABASE shop FROM LATEST IN '{self.coll}' "
                   "WITH new_db_name = 'copy'", contains="symbolic link")
        self.assertIsNone(self.db_path("copy"))


class KmsEndpointTest(CofreTestCase):
    def test_plain_http_kms_endpoint_off_loopback_is_refused(self):
        self.ok("CREATE DATABASE shop", "CREATE TABLE shop.t (a)")
        kms = ("aws:///alias/k?AUTH=specified&AWS_ACCESS_KEY_ID=a&AWS_SECRET_ACCESS_KEY=b"
               "&REGION=us-east-1&AWS_ENDPOINT=http%3A%2F%2F192.0.2.1%3A4566")
        r = self.fails(f"BACKUP DATABASE shop INTO 'file://{self.tmp}/c' WITH kms = '{kms}'",
                       contains=["ALLOW_INSECURE_HTTP", "in clear"])
        self.assertNotIn("AWS_SECRET_ACCESS_KEY=b", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "c")))


class PassphraseCostTest(CofreTestCase):
    """Issue 13 §3: new passphrase chains use 600 000 PBKDF2 iterations and ENCRYPTION-INFO
    format 3 (whose key check binds the format)."""

    def test_new_chain_uses_the_modern_cost(self):
        protoc = shutil.which("protoc")
        if not protoc:
            self.skipTest("protoc is needed to decode ENCRYPTION-INFO")
        env = dict(os.environ)
        env.pop("COFRE_TEST_PASSPHRASE_ITERATIONS", None)
        coll = os.path.join(self.tmp, "c")
        for stmt in ("CREATE DATABASE d", "CREATE TABLE d.t (a)",
                     f"BACKUP DATABASE d INTO 'file://{coll}' WITH encryption_passphrase = 'pw'"):
            subprocess.run([COFRE, "sql", "--data", self.data, "-e", stmt], env=env, check=True,
                           capture_output=True)
        infos = [os.path.join(d, f) for d, _, fs in os.walk(coll) for f in fs
                 if f == "ENCRYPTION-INFO"]
        self.assertEqual(len(infos), 1)
        with open(infos[0], "rb") as f:
            text = subprocess.run([protoc, "--decode=cofre.EncryptionInfo", "-I",
                                   os.path.join(ROOT, "proto"),
                                   os.path.join(ROOT, "proto", "encryption_info.proto")],
                                  input=f.read(), capture_output=True, check=True).stdout.decode()
        self.assertIn("format_version: 3", text)
        self.assertIn("iterations: 600000", text)
        self.ok(f"RESTORE DATABASE d FROM LATEST IN 'file://{coll}' WITH "
                "encryption_passphrase = 'pw', new_db_name = 'e'")


if __name__ == "__main__":
    unittest.main()
