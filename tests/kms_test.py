"""End-to-end tests of KMS envelope encryption (issue 6, docs/kms.md) against a real AWS KMS
protocol server: the moto servers of scripts/test-servers.sh, with keys and aliases created by
boto3 in two regions.

Covered: CockroachDB's documented examples (single key; multi-region pair; restore with any
subset, e.g. only the second region's key), an unrelated key refused, a disabled key reported,
rotation with ALTER BACKUP then restore with the new key alone, signature checking on (the auth
server) and a wrong secret failing clearly, boto3 decrypting a wrapped key taken from
ENCRYPTION-INFO with the same encryption context, S3 storage, throttling retried, and secrets never
reaching SHOW JOBS, stderr or the collection.

moto does not enforce key states on Encrypt/Decrypt (real AWS answers DisabledException), so the
disabled-key and throttling cases go through KmsProxy below, which forwards to moto and adds AWS's
documented key-state behaviour and injected faults. The proxy also counts KMS round trips.

The servers must be running (scripts/test-servers.sh start; source build/test-servers.env): the
tests fail, never skip, without them.
"""
import codecs
import hashlib
import http.client
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from cofre_testlib import CofreTestCase  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
ENV = {k: os.environ.get(k, "") for k in (
    "COFRE_TEST_KMS_ENDPOINT", "COFRE_TEST_KMS_AUTH_ENDPOINT", "COFRE_TEST_S3_ENDPOINT",
    "COFRE_TEST_S3_AUTH_ACCESS_KEY_ID", "COFRE_TEST_S3_AUTH_SECRET_ACCESS_KEY")}
MISSING = [k for k, v in ENV.items() if not v]

# Credentials for the plain server (it accepts any); distinctive so that leaks are detectable.
PLAIN_ID = "AKIACOFREKMSTESTID01"
PLAIN_SECRET = "cofre-kms-SECRET-must-not-leak-7f3a9c"
WRONG_SECRET = "cofre-WRONG-secret-must-not-leak-42"
PID = os.getpid()


def boto3_client(service, endpoint, region, key_id, secret):
    import boto3
    return boto3.client(service, endpoint_url=endpoint, region_name=region,
                        aws_access_key_id=key_id, aws_secret_access_key=secret)


class KmsProxy:
    """An HTTP proxy in front of moto's KMS that behaves like AWS where moto does not:
    Encrypt/Decrypt on a key that is not Enabled answer DisabledException (or
    KMSInvalidStateException when pending deletion). It can also inject errors into the next
    requests and counts requests by X-Amz-Target."""

    def __init__(self, upstream):
        self.upstream = urllib.parse.urlparse(upstream)
        self.lock = threading.Lock()
        self.counts = {}
        self.faults = []  # (status, type) answered to the next requests, in order
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                proxy.handle(self, body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def reset_counts(self):
        with self.lock:
            self.counts = {}

    def count(self, action):
        with self.lock:
            return self.counts.get("TrentService." + action, 0)

    def inject(self, n, status, error_type):
        with self.lock:
            self.faults = [(status, error_type)] * n

    @staticmethod
    def answer(handler, status, body, headers=()):
        handler.send_response(status)
        for k, v in headers:
            handler.send_header(k, v)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def key_state(self, region, key_id):
        kms = boto3_client("kms", ENV["COFRE_TEST_KMS_ENDPOINT"], region, PLAIN_ID, PLAIN_SECRET)
        try:
            meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        except Exception:  # unknown key: let moto answer
            return None, None
        return meta["KeyState"], meta["Arn"]

    def handle(self, handler, body):
        target = handler.headers.get("X-Amz-Target", "")
        with self.lock:
            self.counts[target] = self.counts.get(target, 0) + 1
            fault = self.faults.pop(0) if self.faults else None
        if fault:
            status, error_type = fault
            return self.answer(handler, status, json.dumps(
                {"__type": error_type, "message": "injected by the test proxy"}).encode(),
                [("Content-Type", "application/x-amz-json-1.1")])
        if target in ("TrentService.Encrypt", "TrentService.Decrypt"):
            auth = handler.headers.get("Authorization", "")
            m = re.search(r"Credential=[^/]+/\d+/([^/]+)/kms/", auth)
            key_id = json.loads(body or b"{}").get("KeyId")
            if m and key_id:
                state, arn = self.key_state(m.group(1), key_id)
                if state == "Disabled":
                    return self.answer(handler, 400, json.dumps(
                        {"__type": "DisabledException", "message": "%s is disabled." % arn}).encode())
                if state not in (None, "Enabled"):
                    return self.answer(handler, 400, json.dumps(
                        {"__type": "KMSInvalidStateException",
                         "message": "%s is %s" % (arn, state)}).encode())
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        headers = {k: v for k, v in handler.headers.items()
                   if k.lower() not in ("connection", "keep-alive", "transfer-encoding")}
        conn.request("POST", handler.path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        self.answer(handler, r.status, data,
                    [(k, v) for k, v in r.getheaders()
                     if k.lower() not in ("connection", "content-length", "transfer-encoding")])


def kms_uri(key, region, endpoint, key_id=PLAIN_ID, secret=PLAIN_SECRET):
    q = urllib.parse.urlencode([("AUTH", "specified"), ("AWS_ACCESS_KEY_ID", key_id),
                                ("AWS_SECRET_ACCESS_KEY", secret), ("REGION", region),
                                ("AWS_ENDPOINT", endpoint)])
    return "aws:///%s?%s" % (key, q)


def sql_list(uris):
    return "(" + ", ".join("'%s'" % u for u in uris) + ")"


def decode_encryption_info(path):
    """ENCRYPTION-INFO as a dict, decoded by protoc with cofre's own .proto (the documented
    format, not cofre's code). Bytes fields are returned as bytes."""
    with open(path, "rb") as f:
        raw = f.read()
    out = subprocess.run(["protoc", "--decode=cofre.EncryptionInfo", "-I", os.path.join(ROOT, "proto"),
                          os.path.join(ROOT, "proto", "encryption_info.proto")],
                         input=raw, capture_output=True, check=True).stdout.decode("latin-1")
    info = {"keys": []}
    entry = None
    for line in out.splitlines():
        line = line.strip()
        if line == "keys {":
            continue
        if line.endswith("{"):
            entry = {"source": line[:-1].strip()}
            info["keys"].append(entry)
            continue
        if line == "}":
            entry = None
            continue
        name, _, value = line.partition(": ")
        if value.startswith('"'):
            value = codecs.escape_decode(value[1:-1].encode("latin-1"))[0]
        elif value.isdigit():
            value = int(value)
        (entry if entry is not None else info)[name] = value
    return info


class KmsTestBase(CofreTestCase):
    @classmethod
    def setUpClass(cls):
        if MISSING:
            raise AssertionError(
                "%s not set: the KMS tests need the local moto servers. Run "
                "`scripts/test-servers.sh start` and `source build/test-servers.env` (or `make "
                "test`) first." % ", ".join(MISSING))
        cls.plain = ENV["COFRE_TEST_KMS_ENDPOINT"]
        cls.auth = ENV["COFRE_TEST_KMS_AUTH_ENDPOINT"]
        cls.auth_id = ENV["COFRE_TEST_S3_AUTH_ACCESS_KEY_ID"]
        cls.auth_secret = ENV["COFRE_TEST_S3_AUTH_SECRET_ACCESS_KEY"]
        cls.proxy = KmsProxy(cls.plain)
        cls.kms = {r: boto3_client("kms", cls.plain, r, PLAIN_ID, PLAIN_SECRET)
                   for r in ("us-east-1", "us-west-2")}

    @classmethod
    def tearDownClass(cls):
        cls.proxy.close()

    def new_key(self, region="us-east-1", alias=None, client=None):
        """Creates a symmetric key (and alias); returns (arn, alias or None)."""
        kms = client or self.kms[region]
        meta = kms.create_key(Description="cofre e2e")["KeyMetadata"]
        if alias:
            alias = "alias/%s-%d-%s" % (alias, PID, meta["KeyId"][:8])
            kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
        return meta["Arn"], alias

    def uri(self, key, region="us-east-1", endpoint=None):
        return kms_uri(key, region, endpoint or self.proxy.endpoint)

    def load(self, rows=50):
        self.ok("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL)",
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < %d) "
                "INSERT INTO t SELECT x, 'name-' || x, x * 1.5 FROM c" % rows)

    def check_restored(self, db, rows=50):
        got = self.rows("SELECT count(*) AS n, sum(id) AS s FROM %s.t" % db)
        self.assertEqual(got, [{"n": rows, "s": rows * (rows + 1) // 2}])

    def collection_dir(self, name):
        return os.path.join(self.data, "extern", name)

    def info_path(self, coll):
        root = self.collection_dir(coll)
        with open(os.path.join(root, "LATEST")) as f:
            sub = f.read().strip().lstrip("/")
        return os.path.join(root, sub, "ENCRYPTION-INFO")

    def assert_no_secrets(self, *texts, secrets=(PLAIN_SECRET, WRONG_SECRET)):
        """No secret in the given texts, in SHOW JOBS, or in any file of the data directory."""
        jobs = self.ok("SHOW JOBS", fmt="json").stdout
        for s in secrets:
            for t in texts + (jobs,):
                self.assertNotIn(s, t)
            for d, _, files in os.walk(self.data):
                for fn in files:
                    with open(os.path.join(d, fn), "rb") as f:
                        self.assertNotIn(s.encode(), f.read(), os.path.join(d, fn))


class DocumentedExamplesTest(KmsTestBase):
    def test_single_key(self):
        arn, alias = self.new_key(alias="single")
        self.load()
        coll = "nodelocal://1/single"
        self.proxy.reset_counts()
        r = self.ok("BACKUP INTO '%s' WITH kms = '%s'" % (coll, self.uri(alias)))
        self.assertIn("succeeded", r.stdout)
        self.assertEqual(self.proxy.count("Encrypt"), 1)  # one KMS round trip per backup
        self.assertEqual(self.proxy.count("Decrypt"), 0)

        # Restore with the same URI, and with the key spelled as its ARN and its bare id: the
        # entry is filed under the ARN KMS reported, whatever spelling the backup used.
        key_id = arn.split(":key/")[1]
        for i, key in enumerate([alias, arn, key_id]):
            self.proxy.reset_counts()
            self.ok("RESTORE DATABASE defaultdb FROM LATEST IN '%s' WITH kms = '%s', "
                    "new_db_name = 'r%d'" % (coll, self.uri(key), i))
            self.check_restored("r%d" % i)
            self.assertEqual(self.proxy.count("Decrypt"), 1)

        rows = self.rows("SHOW BACKUP FROM LATEST IN '%s' WITH kms = '%s'" % (coll, self.uri(arn)))
        self.assertIn("t", [row["object_name"] for row in rows])

        r = self.fails("SHOW BACKUP FROM LATEST IN '%s'" % coll, contains="is encrypted")
        self.assertIn("kms", r.stderr)
        self.fails("RESTORE DATABASE defaultdb FROM LATEST IN '%s' WITH "
                   "encryption_passphrase = 'pw', new_db_name = 'x'" % coll,
                   contains="encrypted with KMS")
        self.fails("BACKUP INTO '%s' WITH kms = '%s', encryption_passphrase = 'pw'"
                   % (coll, self.uri(alias)), contains="cannot be used together")
        self.assert_no_secrets(r.stderr)

    def test_multi_region_and_any_subset(self):
        east, east_alias = self.new_key("us-east-1", alias="east")
        west, west_alias = self.new_key("us-west-2", alias="west")
        self.load()
        coll = "nodelocal://1/multi"
        pair = [self.uri(east_alias, "us-east-1"), self.uri(west_alias, "us-west-2")]
        self.proxy.reset_counts()
        self.ok("BACKUP INTO '%s' WITH KMS = %s" % (coll, sql_list(pair)))
        self.assertEqual(self.proxy.count("Encrypt"), 2)

        info = decode_encryption_info(self.info_path("multi"))
        hashes = sorted(k["key_id_hash"].decode() for k in info["keys"])
        self.assertEqual(hashes, sorted(hashlib.sha256(a.encode()).hexdigest() for a in (east, west)))

        # Only the second region's key (the first region is down).
        self.proxy.reset_counts()
        self.ok("RESTORE DATABASE defaultdb FROM LATEST IN '%s' WITH kms = '%s', new_db_name = 'w'"
                % (coll, pair[1]))
        self.check_restored("w")
        self.assertLessEqual(self.proxy.count("Decrypt"), 2)
        # The same, with an unreachable first URI: the second one wins.
        dead = self.uri(east_alias, "us-east-1", endpoint="http://127.0.0.1:1")
        self.ok("RESTORE DATABASE defaultdb FROM LATEST IN '%s' WITH kms = %s, new_db_name = 'w2'"
                % (coll, sql_list([dead, pair[1]])))
        self.check_restored("w2")
        # By the key's ARN, the entry is found without trying the other one.
        self.proxy.reset_counts()
        self.ok("RESTORE DATABASE defaultdb FROM LATEST IN '%s' WITH kms = '%s', new_db_name = 'w3'"
                % (coll, self.uri(west, "us-west-2")))
        self.assertEqual(self.proxy.count("Decrypt"), 1)

    def test_unrelated_key_is_refused(self):
        mine, _ = self.new_key()
        other, _ = self.new_key()
        self.load()
        coll = "nodelocal://1/unrelated"
        self.ok("BACKUP INTO '%s' WITH kms = '%s'" % (coll, self.uri(mine)))
        r = self.fails("RESTORE DATABASE defaultdb FROM LATEST IN '%s' WITH kms = '%s', "
                       "new_db_name = 'x'" % (coll, self.uri(other)),
                       contains="did not wrap the data key of backup")
        self.assertIn(other, r.stderr)  # names the key (ids are not secret) ...
        self.assertIn("AWS_SECRET_ACCESS_KEY=redacted", r.stderr)  # ... redacted
        # Several URIs, none of which works: each is reported.
        dead = self.uri(mine, endpoint="http://127.0.0.1:1")
        r = self.fails("SHOW BACKUP FROM LATEST IN '%s' WITH kms = %s"
                       % (coll, sql_list([dead, self.uri(other)])),
                       contains=["none of the 2 KMS URIs", "(1)", "(2)", "127.0.0.1:1",
                                 "did not wrap"])
        self.assert_no_secrets(r.stderr)

    def test_disabled_key_is_reported(self):
        arn, alias = self.new_key(alias="disabled")
        self.load()
        coll = "nodelocal://1/disabled"
        self.ok("BACKUP INTO '%s' WITH kms = '%s'" % (coll, self.uri(alias)))
        key_id = arn.split(":key/")[1]  # moto's DisableKey takes ids, not ARNs
        self.kms["us-east-1"].disable_key(KeyId=key_id)
        try:
            r = self.fails("RESTORE DATABASE defaultdb FROM LATEST IN '%s' WITH kms = '%s', "
                           "new_db_name = 'x'" % (coll, self.uri(alias)), contains="is disabled")
            self.assertIn("enable the key", r.stderr)
            self.fails("BACKUP INTO 'nodelocal://1/disabled2' WITH kms = '%s'" % self.uri(alias),
                       contains="is disabled")
            self.assertFalse(os.path.exists(os.path.join(self.collection_dir("disabled2"), "LATEST")))
        finally:
            self.kms["us-east-1"].enable_key(KeyId=key_id)
        self.ok("RESTORE DATABASE defaultdb FROM LATEST IN '%s' WITH kms = '%s', new_db_name = 'y'"
                % (coll, self.uri(alias)))

    def test_throttling_is_retried(self):
        arn, _ = self.new_key()
        self.load()
        self.proxy.reset_counts()
        self.proxy.inject(2, 400, "ThrottlingException")
        self.ok("BACKUP INTO 'nodelocal://1/throttle' WITH kms = '%s'" % self.uri(arn))
        self.assertEqual(self.proxy.count("Encrypt"), 3)
        self.proxy.inject(1, 503, "KMSInternalException")
        self.ok("RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/throttle' WITH kms = '%s', "
                "new_db_name = 'r'" % self.uri(arn))
        self.check_restored("r")
        # Not retried: a refusal.
        self.proxy.reset_counts()
        self.proxy.inject(1, 400, "AccessDeniedException")
        self.fails("SHOW BACKUP FROM LATEST IN 'nodelocal://1/throttle' WITH kms = '%s'"
                   % self.uri(arn), contains="AccessDeniedException")
        self.assertEqual(self.proxy.count("Decrypt"), 1)

    def test_uri_errors(self):
        self.load()
        good = self.uri("alias/x")
        cases = [
            (good.replace("REGION=", "NOPE=1&REGION="), "unknown parameter NOPE"),
            (re.sub(r"&REGION=[^&]*", "", good), "has no REGION"),
            ("gs:///projects/p/locations/l/keyRings/r/cryptoKeys/k?AUTH=implicit",
             "supported KMS schemes: aws:///, aws-kms:///"),
            ("aws:///k?AUTH=implicit&REGION=us-east-1&AWS_ACCESS_KEY_ID=a",
             "AUTH=implicit"),
        ]
        for uri, msg in cases:
            with self.subTest(msg=msg):
                r = self.fails("BACKUP INTO 'nodelocal://1/bad' WITH kms = '%s'" % uri, contains=msg)
                self.assert_no_secrets(r.stderr)
        self.ok("BACKUP INTO 'nodelocal://1/plain'")
        self.fails("RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/plain' WITH kms = '%s', "
                   "new_db_name = 'x'" % good, contains="is not encrypted")


class RotationTest(KmsTestBase):
    def data_files(self, coll):
        out = {}
        root = self.collection_dir(coll)
        for d, _, files in os.walk(root):
            for fn in files:
                if fn != "ENCRYPTION-INFO":
                    p = os.path.join(d, fn)
                    with open(p, "rb") as f:
                        out[os.path.relpath(p, root)] = hashlib.sha256(f.read()).hexdigest()
        return out

    def test_add_then_drop_then_restore_with_new_key_only(self):
        old, old_alias = self.new_key("us-east-1", alias="old")
        new, new_alias = self.new_key("us-west-2", alias="new")
        self.load()
        coll = "nodelocal://1/rot"
        self.ok("BACKUP INTO '%s' WITH kms = '%s'" % (coll, self.uri(old_alias)))
        before = self.data_files("rot")
        self.assertEqual(decode_encryption_info(self.info_path("rot"))["version"], 1)

        self.proxy.reset_counts()
        r = self.ok("ALTER BACKUP LATEST IN '%s' ADD NEW_KMS = '%s' WITH OLD_KMS = '%s'"
                    % (coll, self.uri(new_alias, "us-west-2"), self.uri(old_alias)))
        self.assertIn("ALTER BACKUP", r.stdout)
        self.assertEqual((self.proxy.count("Decrypt"), self.proxy.count("Encrypt")), (1, 1))
        info = decode_encryption_info(self.info_path("rot"))
        self.assertEqual(info["version"], 2)
        self.assertEqual(len(info["keys"]), 2)
        self.assertEqual(self.data_files("rot"), before)  # data never rewritten

        # Drop the old key (by alias: found with a Decrypt); only the new one remains.
        self.ok("ALTER BACKUP LATEST IN '%s' DROP KMS = '%s' WITH OLD_KMS = '%s'"
                % (coll, self.uri(old_alias), self.uri(new_alias, "us-west-2")))
        info = decode_encryption_info(self.info_path("rot"))
        self.assertEqual(info["version"], 3)
        self.assertEqual([k["key_id_hash"].decode() for k in info["keys"]],
                         [hashlib.sha256(new.encode()).hexdigest()])
        self.assertEqual(self.data_files("rot"), before)

        self.fails("RESTORE DATABASE defaultdb FROM LATEST IN '%s' WITH kms = '%s', new_db_name = 'x'"
                   % (coll, self.uri(old_alias)), contains="did not wrap")
        self.ok("RESTORE DATABASE defaultdb FROM LATEST IN '%s' WITH kms = '%s', new_db_name = 'n'"
                % (coll, self.uri(new_alias, "us-west-2")))
        self.check_restored("n")

        # The last key source cannot be dropped; a wrong old key unlocks nothing.
        self.fails("ALTER BACKUP LATEST IN '%s' DROP KMS = '%s' WITH OLD_KMS = '%s'"
                   % (coll, self.uri(new, "us-west-2"), self.uri(new, "us-west-2")),
                   contains="last key")
        self.fails("ALTER BACKUP LATEST IN '%s' ADD NEW_KMS = '%s' WITH OLD_KMS = '%s'"
                   % (coll, self.uri(old_alias), self.uri(old_alias)), contains="did not wrap")
        self.assertEqual(decode_encryption_info(self.info_path("rot"))["version"], 3)
        self.assert_no_secrets()

    def test_several_commands_by_subdir_write_one_version(self):
        a, _ = self.new_key()
        b, b_alias = self.new_key("us-west-2", alias="cmds")
        self.load()
        coll = "nodelocal://1/cmds"
        self.ok("BACKUP INTO '%s' WITH kms = '%s'" % (coll, self.uri(a)))
        subdir = self.rows("SHOW BACKUPS IN '%s'" % coll)[0]["path"]
        # Rotate a -> b in one statement, naming the backup by its subdirectory.
        self.ok("ALTER BACKUP '%s' IN '%s' ADD NEW_KMS = '%s' WITH OLD_KMS = '%s' "
                "DROP KMS = '%s' WITH OLD_KMS = '%s'"
                % (subdir, coll, self.uri(b_alias, "us-west-2"), self.uri(a), self.uri(a),
                   self.uri(b_alias, "us-west-2")))
        info = decode_encryption_info(self.info_path("cmds"))
        self.assertEqual(info["version"], 2)
        self.assertEqual([k["key_id_hash"].decode() for k in info["keys"]],
                         [hashlib.sha256(b.encode()).hexdigest()])
        # A failing command leaves the file untouched, even after a successful one.
        self.fails("ALTER BACKUP LATEST IN '%s' ADD NEW_KMS = '%s' WITH OLD_KMS = '%s' "
                   "ADD NEW_KMS = '%s' WITH OLD_KMS = '%s'"
                   % (coll, self.uri(a), self.uri(b, "us-west-2"), self.uri(a),
                      self.uri("alias/never-made-%d" % PID)), contains="does not exist")
        self.assertEqual(decode_encryption_info(self.info_path("cmds"))["version"], 2)
        self.ok("RESTORE DATABASE defaultdb FROM '%s' IN '%s' WITH kms = '%s', new_db_name = 'r'"
                % (subdir, coll, self.uri(b, "us-west-2")))
        self.check_restored("r")

    def test_drop_a_disabled_key_by_arn(self):
        a, _ = self.new_key()
        b, _ = self.new_key()
        self.load()
        coll = "nodelocal://1/dropdis"
        self.ok("BACKUP INTO '%s' WITH kms = %s" % (coll, sql_list([self.uri(a), self.uri(b)])))
        key_id = a.split(":key/")[1]
        self.kms["us-east-1"].disable_key(KeyId=key_id)
        try:
            self.ok("ALTER BACKUP LATEST IN '%s' DROP KMS = '%s' WITH OLD_KMS = '%s'"
                    % (coll, self.uri(a), self.uri(b)))
        finally:
            self.kms["us-east-1"].enable_key(KeyId=key_id)
        self.fails("SHOW BACKUP FROM LATEST IN '%s' WITH kms = '%s'" % (coll, self.uri(a)),
                   contains="did not wrap")
        self.ok("SHOW BACKUP FROM LATEST IN '%s' WITH kms = '%s'" % (coll, self.uri(b)))

    def test_alter_refusals(self):
        self.load()
        k, _ = self.new_key()
        self.ok("BACKUP INTO 'nodelocal://1/pp' WITH encryption_passphrase = 'pw'",
                "BACKUP INTO 'nodelocal://1/none'")
        self.fails("ALTER BACKUP LATEST IN 'nodelocal://1/pp' ADD NEW_KMS = '%s' WITH OLD_KMS = '%s'"
                   % (self.uri(k), self.uri(k)), contains="encrypted with a passphrase")
        self.fails("ALTER BACKUP LATEST IN 'nodelocal://1/none' ADD NEW_KMS = '%s' WITH OLD_KMS = '%s'"
                   % (self.uri(k), self.uri(k)), contains="is not encrypted")


class SignatureCheckingTest(KmsTestBase):
    """The auth server checks every SigV4 signature, as AWS does."""

    def auth_uri(self, key, region="us-east-1", secret=None):
        return kms_uri(key, region, self.auth, self.auth_id, secret or self.auth_secret)

    def test_core_cases_with_signatures(self):
        clients = {r: boto3_client("kms", self.auth, r, self.auth_id, self.auth_secret)
                   for r in ("us-east-1", "us-west-2")}
        east, east_alias = self.new_key("us-east-1", alias="sig-east", client=clients["us-east-1"])
        west, _ = self.new_key("us-west-2", client=clients["us-west-2"])
        other, _ = self.new_key("us-east-1", client=clients["us-east-1"])
        self.load()
        coll = "nodelocal://1/sig"
        self.ok("BACKUP INTO '%s' WITH kms = %s"
                % (coll, sql_list([self.auth_uri(east_alias), self.auth_uri(west, "us-west-2")])))
        self.ok("RESTORE DATABASE defaultdb FROM LATEST IN '%s' WITH kms = '%s', new_db_name = 'a'"
                % (coll, self.auth_uri(west, "us-west-2")))
        self.check_restored("a")
        self.fails("SHOW BACKUP FROM LATEST IN '%s' WITH kms = '%s'" % (coll, self.auth_uri(other)),
                   contains="did not wrap")
        self.ok("ALTER BACKUP LATEST IN '%s' ADD NEW_KMS = '%s' WITH OLD_KMS = '%s'"
                % (coll, self.auth_uri(other), self.auth_uri(east)))
        self.ok("RESTORE DATABASE defaultdb FROM LATEST IN '%s' WITH kms = '%s', new_db_name = 'b'"
                % (coll, self.auth_uri(other)))

        # A wrong secret: rejected clearly, never shown.
        r = self.fails("RESTORE DATABASE defaultdb FROM LATEST IN '%s' WITH kms = '%s', "
                       "new_db_name = 'c'" % (coll, self.auth_uri(east, secret=WRONG_SECRET)),
                       contains="rejected the credentials")
        self.assertIn("AWS_SECRET_ACCESS_KEY", r.stderr)
        r2 = self.fails("BACKUP INTO 'nodelocal://1/sig2' WITH kms = '%s'"
                        % self.auth_uri(east, secret=WRONG_SECRET), contains="rejected the credentials")
        self.assert_no_secrets(r.stderr, r2.stderr,
                               secrets=(WRONG_SECRET, self.auth_secret, self.auth_id))


class Boto3CrossCheckTest(KmsTestBase):
    def test_boto3_decrypts_the_wrapped_key(self):
        arn, alias = self.new_key(alias="xcheck")
        west, _ = self.new_key("us-west-2")
        self.load()
        self.ok("BACKUP INTO 'nodelocal://1/x' WITH kms = %s"
                % sql_list([self.uri(alias), self.uri(west, "us-west-2")]))
        info = decode_encryption_info(self.info_path("x"))
        self.assertEqual(info["format_version"], 3)  # new chains: format 3 (format.md §3)
        self.assertEqual(len(info["chain_id"]), 16)
        context = {"cofre-chain": info["chain_id"].hex()}
        plaintexts = []
        for entry in info["keys"]:
            self.assertEqual(entry["source"], "kms")
            self.assertEqual(entry["scheme"], b"aws")
            region = "us-east-1" if entry["key_id_hash"].decode() == \
                hashlib.sha256(arn.encode()).hexdigest() else "us-west-2"
            out = self.kms[region].decrypt(CiphertextBlob=entry["wrapped_key"],
                                           EncryptionContext=context)
            self.assertEqual(len(out["Plaintext"]), 32)
            self.assertEqual(hashlib.sha256(out["KeyId"].encode()).hexdigest(),
                             entry["key_id_hash"].decode())
            plaintexts.append(out["Plaintext"])
            # The context binds the key to its chain: another context is refused.
            with self.assertRaises(Exception):
                self.kms[region].decrypt(CiphertextBlob=entry["wrapped_key"],
                                         EncryptionContext={"cofre-chain": "00" * 16})
        self.assertEqual(plaintexts[0], plaintexts[1])  # one data key, wrapped twice
        # The key check an independent reader computes binds format 3.
        import hmac as _hmac
        prk = _hmac.new(info["chain_id"], plaintexts[0], hashlib.sha256).digest()
        check = _hmac.new(prk, b"cofre-key-check-v3" + b"\x01", hashlib.sha256).digest()[:16]
        self.assertEqual(check, info["key_check"])


class S3StorageTest(KmsTestBase):
    def test_single_key_on_s3(self):
        s3 = boto3_client("s3", ENV["COFRE_TEST_S3_ENDPOINT"], "us-east-1", PLAIN_ID, PLAIN_SECRET)
        bucket = "cofre-kms-%d" % PID
        s3.create_bucket(Bucket=bucket)
        coll = ("s3://%s/backups?" % bucket) + urllib.parse.urlencode([
            ("AWS_ENDPOINT", ENV["COFRE_TEST_S3_ENDPOINT"]), ("AWS_ACCESS_KEY_ID", PLAIN_ID),
            ("AWS_SECRET_ACCESS_KEY", PLAIN_SECRET), ("AWS_REGION", "us-east-1"),
            ("AWS_USE_PATH_STYLE", "true")])
        arn, alias = self.new_key(alias="s3")
        west, _ = self.new_key("us-west-2")
        self.load()
        self.ok("BACKUP INTO '%s' WITH kms = %s" % (coll, sql_list([self.uri(alias),
                                                                    self.uri(west, "us-west-2")])))
        self.ok("RESTORE DATABASE defaultdb FROM LATEST IN '%s' WITH kms = '%s', new_db_name = 's'"
                % (coll, self.uri(west, "us-west-2")))
        self.check_restored("s")
        self.ok("ALTER BACKUP LATEST IN '%s' DROP KMS = '%s' WITH OLD_KMS = '%s'"
                % (coll, self.uri(arn), self.uri(alias)))
        self.fails("SHOW BACKUP FROM LATEST IN '%s' WITH kms = '%s'" % (coll, self.uri(alias)),
                   contains="did not wrap")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
        self.assertTrue(any(k.endswith("ENCRYPTION-INFO") for k in keys), keys)
        for k in keys:
            body = s3.get_object(Bucket=bucket, Key=k)["Body"].read()
            self.assertNotIn(PLAIN_SECRET.encode(), body)
        self.assert_no_secrets()


class IncrementalTest(KmsTestBase):
    """BACKUP ... INTO LATEST IN with KMS: any subset of the full backup's keys, no new one."""

    def chain(self, coll):
        a, _ = self.new_key()
        b, _ = self.new_key("us-west-2")
        self.load()
        self.ok("BACKUP INTO '%s' WITH kms = %s" % (coll, sql_list([self.uri(a),
                                                                    self.uri(b, "us-west-2")])))
        self.ok("INSERT INTO t VALUES (1000, 'late', 1)")
        return a, b

    def test_incrementals_take_any_subset(self):
        coll = "nodelocal://1/inc"
        a, b = self.chain(coll)
        self.ok("BACKUP INTO LATEST IN '%s' WITH kms = '%s'" % (coll, self.uri(b, "us-west-2")))
        self.ok("RESTORE DATABASE defaultdb FROM LATEST IN '%s' WITH kms = '%s', new_db_name = 'i'"
                % (coll, self.uri(a)))
        self.assertEqual(self.rows("SELECT count(*) AS n FROM i.t"), [{"n": 51}])
        self.fails("BACKUP INTO LATEST IN '%s'" % coll, contains="is encrypted")

    # Needs sql/backup_statements.cc to call CheckIncrementalKeys (backup/chain_keys.h) before
    # an incremental; until then cofre accepts the new key. Remove this marker when it does.
    def test_incrementals_refuse_a_new_key(self):
        coll = "nodelocal://1/incnew"
        a, _ = self.chain(coll)
        new, _ = self.new_key()
        self.fails("BACKUP INTO LATEST IN '%s' WITH kms = %s"
                   % (coll, sql_list([self.uri(a), self.uri(new)])),
                   contains="one of the provided URIs was not used when encrypting the base backup")
        self.assertFalse(os.path.exists(os.path.join(self.collection_dir("incnew"), "incrementals")))


if __name__ == "__main__":
    unittest.main()
