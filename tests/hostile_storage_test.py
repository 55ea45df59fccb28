"""A backup's storage is untrusted (issue 13 §3, §4): end-to-end checks of what cofre refuses
when someone who can write to a collection plants links, and when a KMS endpoint would carry
the data key in clear. (Forged manifests: tests/hostile_manifest_test.py.)
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from cofre_testlib import CofreTestCase, table_dump  # noqa: E402


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


if __name__ == "__main__":
    unittest.main()
