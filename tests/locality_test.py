"""End-to-end tests of locality-aware backups (COCKROACH_LOCALITY on each collection URI): data
files land in the URI matching the node's --locality, everything else in the default URI; full,
incremental and encrypted chains restore exactly from the list; bad lists and missing localities
are refused clearly, before anything is written or restored. On nodelocal, file:// and (when the
test servers run) moto S3, checked with boto3."""
import os
import subprocess
import sys
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from cofre_testlib import COFRE, CofreResult, CofreTestCase, table_dump  # noqa: E402

DEFAULT = "nodelocal://1/east?COCKROACH_LOCALITY=default"
WEST = "nodelocal://1/west?COCKROACH_LOCALITY=region%3Dus-west"
LIST = f"('{DEFAULT}', '{WEST}')"
PW = "WITH encryption_passphrase = 'locality-pw'"

S3_ENDPOINT = os.environ.get("COFRE_TEST_S3_ENDPOINT", "")
S3_SECRET = "cofre-locality-SECRET-must-not-leak-5c1"

METADATA = {"BACKUP_MANIFEST", "ENCRYPTION-INFO", "LATEST"}


def files_under(root):
    """Paths of all files below `root`, relative to it."""
    out = []
    for dirpath, _, names in os.walk(root):
        for n in names:
            out.append(os.path.relpath(os.path.join(dirpath, n), root))
    return sorted(out)


def is_data_file(rel):
    return "/data/" in "/" + rel and rel.endswith((".cfd", ".cfg"))


class LocalityTestBase(CofreTestCase):
    def at(self, locality, *stmts, fmt=None):
        """Runs statements on a node started with --locality `locality`."""
        args = [COFRE, "sql", "--data", self.data, "--locality", locality]
        if fmt:
            args += ["--format", fmt]
        for s in stmts:
            args += ["-e", s]
        return CofreResult(subprocess.run(args, capture_output=True, text=True, timeout=600))

    def ok_at(self, locality, *stmts):
        r = self.at(locality, *stmts)
        self.assertEqual(r.returncode, 0, repr(r))
        return r

    def fails_at(self, locality, *stmts, contains=()):
        r = self.at(locality, *stmts)
        self.assertEqual(r.returncode, 1, repr(r))
        for c in [contains] if isinstance(contains, str) else contains:
            self.assertIn(c, r.stderr, repr(r))
        return r

    def make_data(self):
        self.ok("CREATE DATABASE shop",
                "CREATE TABLE shop.t (id INTEGER PRIMARY KEY, v TEXT, b BLOB)",
                "CREATE TABLE shop.u (k TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID",
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 3000) "
                "INSERT INTO shop.t SELECT x, 'v' || x, randomblob(x % 200) FROM c",
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 500) "
                "INSERT INTO shop.u SELECT 'k' || x, x * 7 FROM c")

    def change_data(self, step):
        self.ok(f"UPDATE shop.t SET v = 'changed{step}' WHERE id % 37 = {step}",
                f"DELETE FROM shop.t WHERE id % 101 = {step}",
                f"INSERT INTO shop.u VALUES ('new{step}', {step})",
                f"DELETE FROM shop.u WHERE n % 49 = {step}")

    def dumps(self, db):
        path = self.db_path(db)
        self.assertIsNotNone(path, f"database {db} does not exist")
        return {t: table_dump(path, t) for t in ("t", "u")}

    def extern(self, name):
        return os.path.join(self.data, "extern", name)

    def assert_split(self, west_expected=True):
        """Data files only in west (or none there), metadata only in the default collection."""
        east, west = files_under(self.extern("east")), files_under(self.extern("west"))
        self.assertTrue(east)
        if west_expected:
            self.assertTrue(west, "no file was written to the us-west collection")
            self.assertEqual([f for f in west if not is_data_file(f)], [],
                             "only data files belong in the us-west collection")
            self.assertEqual([f for f in east if is_data_file(f)], [],
                             "data files of a us-west node must not land in the default")
        else:
            self.assertEqual(west, [])
            self.assertTrue(any(is_data_file(f) for f in east))
        names = {os.path.basename(f) for f in east}
        self.assertIn("LATEST", names)
        self.assertIn("BACKUP_MANIFEST", names)
        return east, west


class NodelocalLocalityTest(LocalityTestBase):
    def test_full_two_incrementals_encrypted_restore_from_the_list(self):
        self.make_data()
        node = "region=us-west,zone=us-west-1a"
        self.ok_at(node, f"BACKUP DATABASE shop INTO {LIST} {PW}")
        east, west = self.assert_split()
        self.assertTrue(any(f.endswith("ENCRYPTION-INFO") for f in east))
        full = {}
        full["layer0"] = self.dumps("shop")
        for step in (1, 2):
            self.change_data(step)
            self.ok_at(node, f"BACKUP DATABASE shop INTO LATEST IN {LIST} {PW}")
        east, west = self.assert_split()
        self.assertTrue(any(f.startswith("incrementals/") for f in west), west)
        self.assertFalse(any(f.startswith("incrementals/") and is_data_file(f) for f in east))
        expected = self.dumps("shop")

        # SHOW BACKUP lists three layers; every file says which locality holds it.
        layers = self.rows(f"SHOW BACKUP FROM LATEST IN {LIST} {PW}")
        self.assertEqual({r["backup_type"] for r in layers}, {"full", "incremental"})
        files = self.rows(f"SHOW BACKUP FILES FROM LATEST IN {LIST} {PW}")
        self.assertTrue(files)
        self.assertEqual({f["locality"] for f in files}, {"region=us-west"})
        for f in files:
            self.assertTrue(os.path.exists(os.path.join(self.extern("west"), f["path"])), f)
        self.assertEqual(len(self.rows(f"SHOW BACKUPS IN {LIST}")), 1)

        # Whole database, from the labeled list and from a plain list as CockroachDB takes it.
        self.ok(f"RESTORE DATABASE shop FROM LATEST IN {LIST} {PW}, new_db_name = 'r1'")
        self.assertEqual(self.dumps("r1"), expected)
        self.ok(f"RESTORE DATABASE shop FROM LATEST IN ('nodelocal://1/east', "
                f"'nodelocal://1/west') {PW}, new_db_name = 'r2'")
        self.assertEqual(self.dumps("r2"), expected)
        # One table into another database.
        self.ok("CREATE DATABASE one",
                f"RESTORE TABLE shop.u FROM LATEST IN {LIST} {PW}, into_db = 'one'")
        self.assertEqual(table_dump(self.db_path("one"), "u"), expected["u"])
        self.assertEqual(self.rows("SHOW TABLES FROM one")[0]["table_name"], "u")
        # An earlier layer, by subdir and AS OF SYSTEM TIME.
        subdir = self.rows(f"SHOW BACKUPS IN {LIST}")[0]["path"]
        first_end = layers[0]["end_time"]
        self.ok(f"RESTORE DATABASE shop FROM '{subdir}' IN {LIST} AS OF SYSTEM TIME "
                f"'{first_end}' {PW}, new_db_name = 'r0'")
        self.assertEqual(self.dumps("r0"), full["layer0"])

    def test_node_matching_no_locality_writes_everything_to_default(self):
        self.make_data()
        self.ok_at("region=eu-central,zone=eu-1", f"BACKUP DATABASE shop INTO {LIST} {PW}")
        self.change_data(3)
        self.ok_at("region=eu-central", f"BACKUP DATABASE shop INTO LATEST IN {LIST} {PW}")
        self.assert_split(west_expected=False)
        files = self.rows(f"SHOW BACKUP FILES FROM LATEST IN {LIST} {PW}")
        self.assertEqual({f["locality"] for f in files}, {None})
        # Everything is in the default collection: it restores alone.
        self.ok(f"RESTORE DATABASE shop FROM LATEST IN 'nodelocal://1/east' {PW}, "
                "new_db_name = 'r'")
        self.assertEqual(self.dumps("r"), self.dumps("shop"))

    def test_restore_without_the_locality_is_refused_and_restores_nothing(self):
        self.make_data()
        self.ok_at("region=us-west", f"BACKUP DATABASE shop INTO {LIST} {PW}")
        for in_clause in ("'nodelocal://1/east'", f"'{DEFAULT}'",
                          f"('{DEFAULT}', 'nodelocal://1/elsewhere?COCKROACH_LOCALITY=region%3Dus-east')",
                          "('nodelocal://1/east', 'nodelocal://1/elsewhere')"):
            r = self.fails(f"RESTORE DATABASE shop FROM LATEST IN {in_clause} {PW}, "
                           "new_db_name = 'gone'",
                           contains=['locality "region=us-west"', "no URI of the list holds them"])
            self.assertNotIn("COCKROACH_LOCALITY=default", r.stderr.split("HINT")[0], r.stderr)
            self.assertIsNone(self.db_path("gone"))
        # An incremental must be able to read the chain's files too: refused before writing.
        before = files_under(self.extern("east"))
        self.fails_at("region=us-west", f"BACKUP DATABASE shop INTO LATEST IN ('{DEFAULT}') {PW}",
                      contains='locality "region=us-west"')
        self.assertEqual(files_under(self.extern("east")), before)
        # Files of every locality copied into the default collection: it restores alone.
        import shutil
        shutil.copytree(self.extern("west"), self.extern("east"), dirs_exist_ok=True)
        self.ok(f"RESTORE DATABASE shop FROM LATEST IN 'nodelocal://1/east' {PW}, "
                "new_db_name = 'consolidated'")
        self.assertEqual(self.dumps("consolidated"), self.dumps("shop"))

    def test_bad_lists_are_refused_before_anything_is_written(self):
        self.make_data()
        cases = [
            (f"('nodelocal://1/east?COCKROACH_LOCALITY=region%3Dus-east', '{WEST}')",
             "none has it"),
            (f"('{DEFAULT}', 'nodelocal://1/west?COCKROACH_LOCALITY=default')", "exactly one"),
            (f"('{DEFAULT}', 'nodelocal://1/west')", "has no COCKROACH_LOCALITY"),
            (f"('{DEFAULT}', '{WEST}', 'nodelocal://1/w2?COCKROACH_LOCALITY=region%3Dus-west')",
             'COCKROACH_LOCALITY "region=us-west" is given to more than one URI'),
            (f"('{DEFAULT}', 'nodelocal://1/w?COCKROACH_LOCALITY=region%3Dus-west%2Czone%3Da')",
             '"key=value"'),
            ("('nodelocal://1/east', 'nodelocal://1/west')", "has no COCKROACH_LOCALITY"),
        ]
        for dest, message in cases:
            with self.subTest(dest=dest):
                self.fails_at("region=us-west", f"BACKUP DATABASE shop INTO {dest} {PW}",
                              contains=message)
        self.fails_at("region=us-west",
                      f"BACKUP DATABASE shop INTO LATEST IN {LIST} WITH incremental_location = "
                      f"('{DEFAULT}', '{WEST}')", contains="incremental_location")
        self.assertEqual(files_under(os.path.join(self.data, "extern")), [])
        # SHOW BACKUP and RESTORE check the list the same way.
        self.fails(f"SHOW BACKUPS IN ('{DEFAULT}', 'nodelocal://1/x?COCKROACH_LOCALITY=default')",
                   contains="exactly one")

    def test_file_uris(self):
        self.make_data()
        a, b = os.path.join(self.tmp, "coll-a"), os.path.join(self.tmp, "coll-b")
        lst = (f"('file://{a}?COCKROACH_LOCALITY=default', "
               f"'file://{b}?COCKROACH_LOCALITY=zone%3Dz1')")
        self.ok_at("region=r,zone=z1", f"BACKUP INTO {lst}")
        self.change_data(4)
        self.ok_at("region=r,zone=z1", f"BACKUP INTO LATEST IN {lst}")
        self.assertTrue(files_under(b))
        self.assertTrue(all(is_data_file(f) for f in files_under(b)))
        self.assertFalse(any(is_data_file(f) for f in files_under(a)))
        expected = self.dumps("shop")
        self.ok(f"RESTORE DATABASE shop FROM LATEST IN {lst} WITH new_db_name = 'r'")
        self.assertEqual(self.dumps("r"), expected)
        jobs = self.ok("SHOW JOBS").stdout
        self.assertIn("COCKROACH_LOCALITY", jobs)  # the description shows the statement's URIs


def s3_uri(bucket, prefix, locality=None):
    params = [("AWS_ACCESS_KEY_ID", "AKIACOFRELOCALITY"), ("AWS_SECRET_ACCESS_KEY", S3_SECRET),
              ("AWS_REGION", "us-east-1"), ("AWS_ENDPOINT", S3_ENDPOINT),
              ("AWS_USE_PATH_STYLE", "true")]
    if locality:
        params.append(("COCKROACH_LOCALITY", locality))
    return f"s3://{bucket}/{prefix}?" + urllib.parse.urlencode(params)


@unittest.skipUnless(S3_ENDPOINT, "COFRE_TEST_S3_ENDPOINT is not set: run scripts/test-servers.sh "
                                  "start and source its env file (make test does)")
class S3LocalityTest(LocalityTestBase):
    def setUp(self):
        super().setUp()
        import boto3
        self.s3 = boto3.client("s3", endpoint_url=S3_ENDPOINT, region_name="us-east-1",
                               aws_access_key_id="AKIACOFRELOCALITY",
                               aws_secret_access_key=S3_SECRET)
        self.east = "cofre-east-" + uuid.uuid4().hex[:10]
        self.west = "cofre-west-" + uuid.uuid4().hex[:10]
        for b in (self.east, self.west):
            self.s3.create_bucket(Bucket=b)

    def keys(self, bucket):
        return sorted(o["Key"] for page in self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket) for o in page.get("Contents", []))

    def test_two_buckets_full_incremental_restore(self):
        self.make_data()
        lst = (f"('{s3_uri(self.east, 'b', 'default')}', "
               f"'{s3_uri(self.west, 'b', 'region=us-west')}')")
        self.ok_at("region=us-west", f"BACKUP DATABASE shop INTO {lst} {PW}")
        self.change_data(5)
        self.ok_at("region=us-west", f"BACKUP DATABASE shop INTO LATEST IN {lst} {PW}")
        east, west = self.keys(self.east), self.keys(self.west)
        self.assertTrue(west)
        self.assertTrue(all(k.startswith("b/") and is_data_file(k[2:]) for k in west), west)
        self.assertTrue(any("/incrementals/" in "/" + k for k in west), west)
        self.assertFalse(any(is_data_file(k[2:]) for k in east), east)
        self.assertIn("b/LATEST", east)
        latest = self.s3.get_object(Bucket=self.east, Key="b/LATEST")["Body"].read().decode()
        self.assertIn("b" + latest + "/BACKUP_MANIFEST", east)
        self.assertIn("b" + latest + "/ENCRYPTION-INFO", east)
        self.assertFalse(any(os.path.basename(k) in METADATA for k in west))

        expected = self.dumps("shop")
        self.ok(f"RESTORE DATABASE shop FROM LATEST IN {lst} {PW}, new_db_name = 'r'")
        self.assertEqual(self.dumps("r"), expected)
        r = self.fails(f"RESTORE DATABASE shop FROM LATEST IN '{s3_uri(self.east, 'b')}' {PW}, "
                       "new_db_name = 'gone'", contains='locality "region=us-west"')
        self.assertNotIn(S3_SECRET, r.stderr)
        self.assertIsNone(self.db_path("gone"))
        jobs = self.ok("SHOW JOBS").stdout
        self.assertNotIn(S3_SECRET, jobs)
        self.assertNotIn("locality-pw", jobs)


@unittest.skipUnless(os.environ.get("COFRE_TEST_KMS_ENDPOINT"), "needs the moto test servers")
class KmsLocalityTest(LocalityTestBase):
    """A KMS-encrypted locality-aware chain: ENCRYPTION-INFO stays in the default collection, data
    files of a us-west node go to the us-west one, and the chain restores with the KMS URI."""

    def kms_uri(self, arn):
        q = urllib.parse.urlencode([("AUTH", "specified"), ("AWS_ACCESS_KEY_ID", "AKIACOFREKMS"),
                                    ("AWS_SECRET_ACCESS_KEY", "cofre-kms-locality-SECRET"),
                                    ("REGION", "us-east-1"),
                                    ("AWS_ENDPOINT", os.environ["COFRE_TEST_KMS_ENDPOINT"])])
        return f"aws:///{arn}?{q}"

    def test_kms_encrypted_full_and_incremental(self):
        import boto3
        kms = boto3.client("kms", endpoint_url=os.environ["COFRE_TEST_KMS_ENDPOINT"],
                           region_name="us-east-1", aws_access_key_id="AKIACOFREKMS",
                           aws_secret_access_key="cofre-kms-locality-SECRET")
        arn = kms.create_key(Description="cofre locality")["KeyMetadata"]["Arn"]
        with_kms = f"WITH kms = '{self.kms_uri(arn)}'"
        self.make_data()
        self.ok_at("region=us-west", f"BACKUP DATABASE shop INTO {LIST} {with_kms}")
        self.change_data(2)
        self.ok_at("region=us-west", f"BACKUP DATABASE shop INTO LATEST IN {LIST} {with_kms}")
        east, _ = self.assert_split()
        self.assertIn("ENCRYPTION-INFO", {os.path.basename(f) for f in east})
        self.ok(f"RESTORE DATABASE shop FROM LATEST IN {LIST} {with_kms}, new_db_name = 'r'")
        self.assertEqual(self.dumps("r"), self.dumps("shop"))
        # Without the key, nothing is readable; with a passphrase instead, a clear refusal.
        self.fails(f"RESTORE DATABASE shop FROM LATEST IN {LIST} WITH new_db_name = 'r2'",
                   contains="encrypted")
        self.assertIsNone(self.db_path("r2"))


if __name__ == "__main__":
    unittest.main()
