"""End-to-end tests of backups on S3 (moto_server on 127.0.0.1): every backup statement against
an s3:// collection, boto3 as an independent client, a collection copied by boto3 restoring, and
rejected credentials reported clearly without leaking them."""
import os
import sys
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from cofre_testlib import CofreTestCase, table_dump  # noqa: E402

ENDPOINT = os.environ.get("COFRE_TEST_S3_ENDPOINT", "")
AUTH_ENDPOINT = os.environ.get("COFRE_TEST_S3_AUTH_ENDPOINT", "")
AUTH_ID = os.environ.get("COFRE_TEST_S3_AUTH_ACCESS_KEY_ID", "")
AUTH_SECRET = os.environ.get("COFRE_TEST_S3_AUTH_SECRET_ACCESS_KEY", "")
SECRET = "cofre-s3-SECRET-must-not-leak-91b2"


def s3_uri(bucket, prefix, endpoint=ENDPOINT, key_id="AKIACOFRES3TEST", secret=SECRET):
    return f"s3://{bucket}/{prefix}?" + urllib.parse.urlencode([
        ("AWS_ACCESS_KEY_ID", key_id), ("AWS_SECRET_ACCESS_KEY", secret),
        ("AWS_REGION", "us-east-1"), ("AWS_ENDPOINT", endpoint), ("AWS_USE_PATH_STYLE", "true")])


def s3_client(endpoint=ENDPOINT, key_id="AKIACOFRES3TEST", secret=SECRET):
    import boto3
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=key_id, aws_secret_access_key=secret)


class S3BackupTest(CofreTestCase):
    def setUp(self):
        super().setUp()
        self.assertTrue(ENDPOINT, "COFRE_TEST_S3_ENDPOINT is not set: run scripts/test-servers.sh "
                                  "start and source its env file (make test does)")
        self.bucket = "cofre-" + uuid.uuid4().hex[:12]
        s3_client().create_bucket(Bucket=self.bucket)

    def test_statements_on_s3_and_boto3_cross_check(self):
        coll = s3_uri(self.bucket, "backups")
        self.ok("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, b BLOB)",
                "CREATE INDEX t_v ON t(v)",
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 20000) "
                "INSERT INTO t SELECT x, 'v' || x, randomblob(300) FROM c",
                f"BACKUP INTO '{coll}' WITH encryption_passphrase = 'pw'",
                "UPDATE t SET v = 'changed' WHERE id % 50 = 0", "DELETE FROM t WHERE id < 10",
                f"BACKUP INTO LATEST IN '{coll}' WITH encryption_passphrase = 'pw'",
                f"BACKUP TABLE t INTO '{s3_uri(self.bucket, 'plain')}'")
        self.assertEqual(len(self.rows(f"SHOW BACKUPS IN '{coll}'")), 1)
        layers = {r["backup_type"] for r in self.rows(
            f"SHOW BACKUP FROM LATEST IN '{coll}' WITH encryption_passphrase = 'pw'")}
        self.assertEqual(layers, {"full", "incremental"})
        expected = table_dump(self.db_path("defaultdb"), "t")
        self.ok(f"RESTORE DATABASE defaultdb FROM LATEST IN '{coll}' "
                "WITH encryption_passphrase = 'pw', new_db_name = 'r'")
        self.assertEqual(table_dump(self.db_path("r"), "t"), expected)
        self.ok("CREATE DATABASE other",
                f"RESTORE TABLE defaultdb.t FROM LATEST IN '{s3_uri(self.bucket, 'plain')}' "
                "WITH into_db = 'other'")
        self.assertEqual(self.rows("SELECT count(*) AS n FROM other.t"), [{"n": 19991}])

        # boto3 sees the layout cofre wrote, and the LATEST it names.
        s3 = s3_client()
        keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix="backups/") for o in page.get("Contents", [])]
        latest = s3.get_object(Bucket=self.bucket, Key="backups/LATEST")["Body"].read().decode()
        self.assertIn("backups" + latest + "/BACKUP_MANIFEST", keys)
        self.assertIn("backups" + latest + "/ENCRYPTION-INFO", keys)
        self.assertTrue(any("/incrementals/" in k for k in keys))
        # A collection copied by boto3 to another prefix restores from there.
        for k in keys:
            s3.copy_object(Bucket=self.bucket, Key="copied/" + k[len("backups/"):],
                           CopySource={"Bucket": self.bucket, "Key": k})
        self.ok(f"RESTORE DATABASE defaultdb FROM LATEST IN '{s3_uri(self.bucket, 'copied')}' "
                "WITH encryption_passphrase = 'pw', new_db_name = 'r2'")
        self.assertEqual(table_dump(self.db_path("r2"), "t"), expected)
        jobs = self.ok("SHOW JOBS").stdout
        self.assertNotIn(SECRET, jobs)
        self.assertIn("redacted", jobs)

    def test_missing_bucket_and_rejected_credentials(self):
        self.ok("CREATE TABLE t (x)")
        r = self.fails(f"BACKUP INTO '{s3_uri('no-such-bucket-' + uuid.uuid4().hex[:8], 'b')}'")
        self.assertIn("no-such-bucket", r.stderr)
        self.assertNotIn(SECRET, r.stderr)
        self.assertTrue(AUTH_ENDPOINT and AUTH_ID, "signature-checking server is not configured")
        auth = s3_client(AUTH_ENDPOINT, AUTH_ID, AUTH_SECRET)
        bucket = "cofre-auth-" + uuid.uuid4().hex[:8]
        auth.create_bucket(Bucket=bucket)
        # moto's signature checker rejects signed query values containing '/', so only writes
        # (PUT, HEAD) run against it; listing is covered on the plain server above.
        good = s3_uri(bucket, "b", AUTH_ENDPOINT, AUTH_ID, AUTH_SECRET)
        self.ok(f"BACKUP INTO '{good}'")
        bad = s3_uri(bucket, "b", AUTH_ENDPOINT, AUTH_ID, "wrong-" + SECRET)
        r = self.fails(f"BACKUP INTO '{bad}'", contains="rejected the credentials")
        self.assertNotIn(SECRET, r.stderr)
        self.assertNotIn(AUTH_SECRET, r.stderr)
        keys = [o["Key"] for o in auth.list_objects_v2(Bucket=bucket).get("Contents", [])]
        self.assertEqual(sum(k.endswith("BACKUP_MANIFEST") for k in keys), 1)

    def test_unknown_parameter_is_refused_by_name(self):
        self.fails(f"BACKUP INTO '{s3_uri(self.bucket, 'x')}&AWS_FROBNICATE=1'",
                   contains="AWS_FROBNICATE")


if __name__ == "__main__":
    unittest.main(verbosity=2)
