"""External connections (CREATE / SHOW / DROP EXTERNAL CONNECTION, external://name URIs, the
USAGE privilege) and the other CockroachDB statements its docs use: BACKUP ... AS OF SYSTEM TIME
'-10s', RESTORE AS OF SYSTEM TIME between layers, SHOW statements as table sources,
PAUSE/RESUME/CANCEL JOBS (query), SHOW BACKUPS NEWER/OLDER THAN, over the wire with psycopg2
against `cofre start`, and embedded (`cofre sql`), with moto's S3 and KMS when they run.

Runs under Debian's /usr/bin/python3, where python3-psycopg2 lives (it re-executes itself there).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_testlib import COFRE, CofreServer, make_certs, require_psycopg2  # noqa: E402

psycopg2 = require_psycopg2()

S3 = os.environ.get("COFRE_TEST_S3_ENDPOINT")
KMS = os.environ.get("COFRE_TEST_KMS_ENDPOINT")
KEY_ID = "AKIACOFREEXTCONN01"
SECRET = "extconn-SECRET-must-not-leak-91c2"


def s3_uri(bucket, prefix):
    return f"s3://{bucket}/{prefix}?" + urllib.parse.urlencode([
        ("AWS_ACCESS_KEY_ID", KEY_ID), ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_REGION", "us-east-1"), ("AWS_ENDPOINT", S3), ("AWS_USE_PATH_STYLE", "true")])


def kms_uri(arn):
    return "aws:///%s?%s" % (arn, urllib.parse.urlencode([
        ("AUTH", "specified"), ("AWS_ACCESS_KEY_ID", KEY_ID), ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("REGION", "us-east-1"), ("AWS_ENDPOINT", KMS)]))


class ExternalConnectionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cofre-extconn-")
        cls.certs, _ = make_certs(cls.tmp)
        cls.data = os.path.join(cls.tmp, "data")
        cls.server = CofreServer(cls.data, certs=cls.certs)
        cls.root = psycopg2.connect(cls.server.url(client_cert="root"))
        cls.root.autocommit = True
        cls.sql(cls.root, "CREATE USER alice WITH PASSWORD 'alice-pw-1'",
                "CREATE USER bob WITH PASSWORD 'bob-pw-1'",
                "CREATE DATABASE shop",
                "CREATE TABLE shop.items (id INTEGER PRIMARY KEY, name TEXT)",
                "INSERT INTO shop.items VALUES (1, 'anchor'), (2, 'buoy')",
                "GRANT SYSTEM BACKUP TO alice", "GRANT SYSTEM BACKUP TO bob",
                "GRANT BACKUP ON DATABASE shop TO alice, bob")

    @classmethod
    def tearDownClass(cls):
        cls.root.close()
        rc = cls.server.stop()
        with open(cls.server.log_path) as f:
            log = f.read()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert rc == 0, f"server exited {rc}: {log}"
        assert SECRET not in log, "a secret reached the server log"

    @staticmethod
    def sql(conn, *stmts):
        out = None
        with conn.cursor() as cur:
            for s in stmts:
                cur.execute(s)
                out = cur.fetchall() if cur.description else None
        return out

    def user(self, name):
        c = psycopg2.connect(self.server.url(name, f"{name}-pw-1"))
        c.autocommit = True
        self.addCleanup(c.close)
        return c

    def error(self, conn, stmt):
        with self.assertRaises(psycopg2.Error) as e:
            self.sql(conn, stmt)
        return e.exception

    def test_nodelocal_connection_usage_and_privileges(self):
        r = self.root
        self.sql(r, "CREATE EXTERNAL CONNECTION local_bk AS 'nodelocal://1/conn-a'")
        e = self.error(r, "CREATE EXTERNAL CONNECTION local_bk AS 'nodelocal://1/other'")
        self.assertEqual(e.pgcode, "42710")
        self.sql(r, "CREATE EXTERNAL CONNECTION IF NOT EXISTS local_bk AS 'nodelocal://1/other'")
        self.assertEqual(self.sql(r, "SHOW EXTERNAL CONNECTION local_bk"),
                         [("local_bk", "nodelocal://1/conn-a", "STORAGE")])
        # external://name and external://name/sub/path stand for the URI and a path under it.
        self.sql(r, "BACKUP DATABASE shop INTO 'external://local_bk'",
                 "BACKUP DATABASE shop INTO 'external://local_bk/nested/dir'")
        self.assertTrue(os.path.isdir(os.path.join(self.data, "extern", "conn-a", "nested", "dir")))
        e = self.error(r, "SHOW BACKUPS IN 'external://local_bk/../elsewhere'")
        self.assertIn("beneath its connection", e.pgerror)
        rows = self.sql(r, "SHOW BACKUPS IN 'external://local_bk/nested/dir'")
        self.assertEqual(len(rows), 1)
        objects = self.sql(r, "SHOW BACKUP FROM LATEST IN 'external://local_bk'")
        self.assertIn("items", [o[2] for o in objects])
        self.sql(r, "RESTORE DATABASE shop FROM LATEST IN 'external://local_bk' "
                    "WITH new_db_name = shop_copy")  # an unquoted name, as CockroachDB takes it
        self.assertEqual(self.sql(r, "SELECT name FROM shop_copy.items ORDER BY id"),
                         [("anchor",), ("buoy",)])
        # alice may back up the database, but not to storage on the node's disk, nor to a
        # connection she has no USAGE on; USAGE lets her use it, without seeing nodelocal.
        alice = self.user("alice")
        e = self.error(alice, "BACKUP DATABASE shop INTO 'external://local_bk'")
        self.assertEqual(e.pgcode, "42501")
        self.assertIn("USAGE", e.pgerror)
        self.assertEqual(self.sql(alice, "SHOW EXTERNAL CONNECTIONS"), [])
        self.assertEqual(self.error(alice, "CREATE EXTERNAL CONNECTION mine AS "
                                           "'nodelocal://1/x'").pgcode, "42501")
        self.sql(r, "GRANT USAGE ON EXTERNAL CONNECTION local_bk TO alice")
        self.sql(alice, "BACKUP DATABASE shop INTO 'external://local_bk/alice'")
        self.assertEqual(self.sql(alice, "SHOW EXTERNAL CONNECTIONS"),
                         [("local_bk", "nodelocal://1/conn-a", "STORAGE")])
        self.assertEqual(self.error(alice, "DROP EXTERNAL CONNECTION local_bk").pgcode, "42501")
        # The EXTERNALCONNECTION privilege creates connections (not to the node's disk).
        bob = self.user("bob")
        self.sql(r, "GRANT SYSTEM EXTERNALCONNECTION TO bob")
        self.assertEqual(self.error(bob, "CREATE EXTERNAL CONNECTION b AS "
                                         "'nodelocal://1/b'").pgcode, "42501")
        if S3:
            self.sql(bob, f"CREATE EXTERNAL CONNECTION bobs AS '{s3_uri('bobs-bucket', 'x')}'")
            self.assertEqual([c[0] for c in self.sql(bob, "SHOW EXTERNAL CONNECTIONS")], ["bobs"])
            e = self.error(r, "DROP USER bob")
            self.assertIn('owns external connection "bobs"', e.pgerror)
            self.sql(bob, "DROP EXTERNAL CONNECTION bobs")
        e = self.error(r, "GRANT USAGE ON EXTERNAL CONNECTION nosuch TO bob")
        self.assertIn("does not exist", e.pgerror)
        self.sql(r, "REVOKE USAGE ON EXTERNAL CONNECTION local_bk FROM alice")
        self.assertEqual(self.error(alice, "SHOW BACKUPS IN 'external://local_bk'").pgcode,
                         "42501")
        self.sql(r, "DROP EXTERNAL CONNECTION local_bk")
        e = self.error(r, "SHOW BACKUPS IN 'external://local_bk'")
        self.assertIn('external connection "local_bk" does not exist', e.pgerror)
        self.sql(r, "DROP EXTERNAL CONNECTION IF EXISTS local_bk")
        e = self.error(r, "CREATE EXTERNAL CONNECTION k AS 'kafka://broker:9092'")
        self.assertEqual(e.pgcode, "0A000")

    @unittest.skipUnless(S3 and KMS, "needs scripts/test-servers.sh (moto S3 and KMS)")
    def test_s3_and_kms_connections_keep_their_secrets(self):
        import boto3
        s3 = boto3.client("s3", endpoint_url=S3, region_name="us-east-1",
                          aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET)
        bucket = f"extconn-{os.getpid()}"
        s3.create_bucket(Bucket=bucket)
        kms = boto3.client("kms", endpoint_url=KMS, region_name="us-east-1",
                           aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET)
        arn = kms.create_key(Description="cofre extconn")["KeyMetadata"]["Arn"]
        r = self.root
        self.sql(r, f"CREATE EXTERNAL CONNECTION s3_bk AS '{s3_uri(bucket, 'coll')}'",
                 f"CREATE EXTERNAL CONNECTION the_key AS '{kms_uri(arn)}'")
        shown = [c for c in self.sql(r, "SHOW EXTERNAL CONNECTIONS") if c[0] != "local_bk"]
        self.assertEqual([(n, t) for n, _, t in shown], [("s3_bk", "STORAGE"), ("the_key", "KMS")])
        create = self.sql(r, "SHOW CREATE ALL EXTERNAL CONNECTIONS")
        for text in [str(shown), str(create)]:
            self.assertNotIn(SECRET, text)
            self.assertIn("redacted", text)
        self.sql(r, "BACKUP DATABASE shop INTO 'external://s3_bk' WITH kms = 'external://the_key'")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        self.assertTrue(any(k.startswith("coll/") and "ENCRYPTION-INFO" in k for k in keys), keys)
        e = self.error(r, "SHOW BACKUP FROM LATEST IN 'external://s3_bk'")  # no key given
        self.assertNotIn(SECRET, e.pgerror)
        self.sql(r, "RESTORE DATABASE shop FROM LATEST IN 'external://s3_bk' "
                    "WITH kms = 'external://the_key', new_db_name = 'shop_s3'")
        self.assertEqual(self.sql(r, "SELECT count(*) FROM shop_s3.items"), [(2,)])
        # A detached job resolves the connection when it runs; its record names the connection.
        (job,), = self.sql(r, "BACKUP DATABASE shop INTO LATEST IN 'external://s3_bk' "
                              "WITH kms = 'external://the_key', detached")
        self.sql(r, f"SHOW JOB WHEN COMPLETE {job}")
        jobs = self.sql(r, "SHOW JOBS")
        self.assertIn("succeeded", str([j for j in jobs if j[0] == job]))
        self.assertIn("external://s3_bk", str(jobs))
        self.assertNotIn(SECRET, str(jobs))
        # The secrets are sealed at rest: the system database's file never holds them.
        for root, _, files in os.walk(self.data):
            for f in files:
                with open(os.path.join(root, f), "rb") as fh:
                    self.assertNotIn(SECRET.encode(), fh.read(), os.path.join(root, f))

    def test_backup_as_of_system_time_and_restore_between_layers(self):
        r = self.root
        notices_before = len(r.notices)
        self.sql(r, "BACKUP DATABASE shop INTO 'nodelocal://1/aost' AS OF SYSTEM TIME '-10s'")
        notice = r.notices[notices_before:]
        self.assertTrue(any("AS OF SYSTEM TIME asked for the data of" in n for n in notice),
                        notice)
        self.assertEqual(self.error(r, "BACKUP DATABASE shop INTO 'nodelocal://1/aost' AS OF "
                                       "SYSTEM TIME '2999-01-01 00:00:00'").pgcode, "42601")
        e = self.error(r, "BACKUP DATABASE shop INTO 'nodelocal://1/aost' AS OF SYSTEM TIME '-1h'")
        self.assertIn("more than 5 minutes ago", e.pgerror)
        self.sql(r, "INSERT INTO shop.items VALUES (3, 'chain')",
                 "BACKUP DATABASE shop INTO LATEST IN 'nodelocal://1/aost' "
                 "AS OF SYSTEM TIME follower_read_timestamp()")
        self.sql(r, "DELETE FROM shop.items WHERE id = 3")
        ends = sorted({row[6] for row in self.sql(r, "SHOW BACKUP FROM LATEST IN "
                                                     "'nodelocal://1/aost'")})
        self.assertEqual(len(ends), 2)
        # A layer's end time restores that layer, and the NOTICE names it.
        before = len(r.notices)
        self.sql(r, f"RESTORE DATABASE shop FROM LATEST IN 'nodelocal://1/aost' AS OF SYSTEM "
                    f"TIME '{ends[0]}' WITH new_db_name = shop_l0")
        self.assertIn("layer 0 (full)", "".join(r.notices[before:]))
        self.assertEqual(self.sql(r, "SELECT count(*) FROM shop_l0.items"), [(2,)])
        # Between two layers: refused, as CockroachDB refuses it without revision history.
        e = self.error(r, f"RESTORE DATABASE shop FROM LATEST IN 'nodelocal://1/aost' AS OF "
                          f"SYSTEM TIME '{ends[0][:19]}' WITH new_db_name = shop_x")
        self.assertIn("invalid RESTORE timestamp", e.pgerror)
        self.assertIn(ends[1], e.pgerror)
        self.assertEqual(self.sql(r, "SELECT database_name FROM [SHOW DATABASES] WHERE "
                                     "database_name = 'shop_x'"), [])

    def test_show_statements_as_tables(self):
        r = self.root
        self.sql(r, "BACKUP DATABASE shop INTO 'nodelocal://1/src'")
        rows = self.sql(r, "SELECT path FROM [SHOW BACKUPS IN 'nodelocal://1/src'] "
                           "WHERE is_latest ORDER BY path DESC")
        self.assertEqual(len(rows), 1)
        self.assertRegex(rows[0][0], r"^/\d{4}/\d\d/\d\d-\d{6}\.\d\d$")
        rows = self.sql(r, "WITH x AS (SHOW JOBS) SELECT job_type, status FROM x "
                           "WHERE job_type = 'BACKUP' AND status IN ('succeeded') LIMIT 1")
        self.assertEqual(rows, [("BACKUP", "succeeded")])
        rows = self.sql(r, "SELECT object_name, rows FROM [SHOW BACKUP FROM LATEST IN "
                           "'nodelocal://1/src'] WHERE object_type = 'table'")
        self.assertEqual(rows, [("items", 2)])
        self.assertEqual(self.sql(r, "WITH x AS (SHOW AUTOMATIC JOBS) SELECT count(*) FROM x"),
                         [(0,)])
        # Another user sees only their own jobs through SHOW JOBS, also as a table.
        alice = self.user("alice")
        mine = self.sql(alice, "SELECT count(*) FROM [SHOW JOBS] WHERE user_name <> 'alice'")
        self.assertEqual(mine, [(0,)])
        # JSON of the manifests, which SQLite's JSON functions read.
        rows = self.sql(r, "WITH x AS (SHOW BACKUP FROM LATEST IN 'nodelocal://1/src' WITH "
                           "as_json) SELECT json_extract(manifest, '$.databases[0].name') FROM x")
        self.assertEqual(rows, [("shop",)])
        # NEWER THAN / OLDER THAN filter the full backups by when they were taken.
        self.assertEqual(len(self.sql(r, "SHOW BACKUPS IN 'nodelocal://1/src' NEWER THAN '-1h'")),
                         1)
        self.assertEqual(self.sql(r, "SHOW BACKUPS IN 'nodelocal://1/src' OLDER THAN '-1h'"), [])
        # PAUSE/RESUME/CANCEL JOBS take a query; a finished job cannot be paused.
        e = self.error(r, "PAUSE JOBS (WITH x AS (SHOW JOBS) SELECT job_id FROM x "
                          "WHERE status = 'succeeded' LIMIT 1)")
        self.assertEqual(e.pgcode, "55000")
        self.assertEqual(self.sql(r, "RESUME JOBS (SELECT job_id FROM [SHOW JOBS] WHERE "
                                     "status = 'paused')"), None)

    def test_clear_refusals(self):
        r = self.root
        for stmt, code, words in [
            ("RESTORE system.users FROM LATEST IN 'nodelocal://1/src'", "0A000", "system tables"),
            ("SHOW BACKUPS IN 'nodelocal://1/src' WITH REVISION START TIME", "0A000",
             "revision"),
            ("SHOW BACKUP FROM LATEST IN 'nodelocal://1/src' WITH privileges", "0A000", "grants"),
            ("SHOW CREATE SCHEDULE 1", "0A000", "SHOW SCHEDULE"),
            ("SHOW CLUSTER SETTING version", "0A000", "cluster settings"),
            ("RESTORE DATABASE shop FROM LATEST IN 'nodelocal://1/src' WITH EXPERIMENTAL COPY",
             "0A000", "experimental copy"),
        ]:
            with self.subTest(stmt=stmt):
                e = self.error(r, stmt)
                self.assertEqual(e.pgcode, code, e.pgerror)
                self.assertIn(words, e.pgerror)

    def test_embedded_sql_uses_connections(self):
        data = os.path.join(self.tmp, "embedded")

        def run(stmt):
            return subprocess.run([COFRE, "sql", "--data", data, "-e", stmt],
                                  capture_output=True, text=True, timeout=60)
        for stmt in ["CREATE TABLE t (x INTEGER)", "INSERT INTO t VALUES (7)",
                     "CREATE EXTERNAL CONNECTION here AS 'nodelocal://1/emb'",
                     "BACKUP INTO 'external://here/sub'"]:
            p = run(stmt)
            self.assertEqual(p.returncode, 0, p.stderr)
        p = run("SELECT count(*) FROM [SHOW BACKUPS IN 'external://here/sub']")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("1", p.stdout)


if __name__ == "__main__":
    unittest.main()
