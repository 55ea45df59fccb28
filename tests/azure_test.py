"""End-to-end tests of backups on Azure Blob Storage (Azurite on 127.0.0.1, started by
scripts/test-servers.sh): every backup statement against azure-blob:// collections, Microsoft's
@azure/storage-blob SDK (tests/azure/blob_tool.js) as an independent client, a collection copied
by it restoring and verifying (check_files, verify_backup_table_data; a blob deleted by the SDK
named), SAS tokens, AUTH=implicit, a mixed S3 + Azure chain, locality-aware URIs, faults
from tests/tools/fault_proxy.py at every n-th request, rejected credentials, a missing container,
and Azure AD client credentials: a local OAuth2 token endpoint hands out JWTs that the HTTPS
Azurite (--oauth basic: lifetime, issuer and audience checked, signature not) accepts as bearer
tokens; cofre trusts Azurite's self-signed certificate through CURL_CA_BUNDLE."""
import base64
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from cofre_testlib import COFRE, CofreTestCase, table_dump  # noqa: E402
from fault_testlib import FaultProxy  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ENDPOINT = os.environ.get("COFRE_TEST_AZURE_ENDPOINT", "")
ACCOUNT = os.environ.get("COFRE_TEST_AZURE_ACCOUNT", "")
KEY = os.environ.get("COFRE_TEST_AZURE_KEY", "")
TOOLS = os.environ.get("COFRE_TEST_AZURE_TOOLS", "")
HTTPS_ENDPOINT = os.environ.get("COFRE_TEST_AZURE_HTTPS_ENDPOINT", "")
AZURE_CA = os.environ.get("COFRE_TEST_AZURE_CA", "")
S3_ENDPOINT = os.environ.get("COFRE_TEST_S3_ENDPOINT", "")
KMS_ENDPOINT = os.environ.get("COFRE_TEST_KMS_ENDPOINT", "")
S3_SECRET = "cofre-azure-s3-SECRET-must-not-leak-4e1"
AD_SECRET = "cofre-azure-AD-SECRET-must-not-leak-77c"
PW = "WITH encryption_passphrase = 'azure-pw'"


def azure_uri(container, prefix, endpoint=ENDPOINT, key=None, **extra):
    params = [("AZURE_ACCOUNT_NAME", ACCOUNT)]
    other_auth = any(k in extra for k in ("AZURE_SAS_TOKEN", "AUTH", "AZURE_CLIENT_ID"))
    if key is not None or not other_auth:
        params.append(("AZURE_ACCOUNT_KEY", KEY if key is None else key))
    params.append(("AZURE_BLOB_ENDPOINT", endpoint))
    params += list(extra.items())
    return f"azure-blob://{container}/{prefix}?" + urllib.parse.urlencode(params)


def s3_uri(bucket, prefix):
    return f"s3://{bucket}/{prefix}?" + urllib.parse.urlencode([
        ("AWS_ACCESS_KEY_ID", "AKIACOFREAZURE"), ("AWS_SECRET_ACCESS_KEY", S3_SECRET),
        ("AWS_REGION", "us-east-1"), ("AWS_ENDPOINT", S3_ENDPOINT), ("AWS_USE_PATH_STYLE", "true")])


def blob_tool(*args, endpoint=ENDPOINT):
    """Runs tests/azure/blob_tool.js (the Azure SDK); returns its stdout."""
    env = dict(os.environ, NODE_PATH=os.path.join(TOOLS, "node_modules"),
               COFRE_TEST_AZURE_ENDPOINT=endpoint, NODE_EXTRA_CA_CERTS=AZURE_CA)
    r = subprocess.run(["node", os.path.join(HERE, "azure", "blob_tool.js"), *args], env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout


def blob_names(container, prefix=""):
    return [line.split(" ", 1)[1] for line in blob_tool("list", container, prefix).splitlines()]


def jwt(claims):
    """An unsigned-looking JWT (Azurite's basic OAuth checks the claims, not the signature)."""
    def b64(d):
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
    return b64({"alg": "RS256", "typ": "JWT"}) + "." + b64(claims) + ".c2lnbmF0dXJl"


class TokenServer:
    """A local OAuth2 token endpoint (the client-credentials grant of Microsoft Entra ID):
    records each request; answers 503 to the first one (a retry must follow), then, for the right
    secret, a JWT for the storage audience (for client "wrong-audience": another audience), and
    invalid_client for any other secret."""

    def __init__(self):
        self.requests = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                form = dict(urllib.parse.parse_qsl(body))
                owner.requests.append((self.path, self.headers.get("Content-Type"), form))
                if len(owner.requests) == 1:
                    status, doc = 503, {"error": "temporarily_unavailable"}
                elif form.get("client_secret") == AD_SECRET:
                    now = int(time.time())
                    aud = ("https://vault.azure.net" if form.get("client_id") == "wrong-audience"
                           else "https://storage.azure.com")
                    token = jwt({"aud": aud, "iss": "https://sts.windows.net/cofre-tenant/",
                                 "iat": now - 60, "nbf": now - 60, "exp": now + 3600,
                                 "oid": "cofre-test-principal"})
                    status, doc = 200, {"token_type": "Bearer", "expires_in": 3599,
                                        "access_token": token}
                else:
                    status, doc = 401, {"error": "invalid_client",
                                        "error_description": "AADSTS7000215: Invalid secret"}
                data = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class AzureBackupTest(CofreTestCase):
    def setUp(self):
        super().setUp()
        self.assertTrue(ENDPOINT and KEY and TOOLS,
                        "COFRE_TEST_AZURE_* is not set: run scripts/test-servers.sh start and "
                        "source its env file (make test does)")
        self.container = "cofre-" + uuid.uuid4().hex[:12]
        blob_tool("create-container", self.container)

    def at(self, locality, *stmts, env=None):
        args = [COFRE, "sql", "--data", self.data] + (["--locality", locality] if locality else [])
        for s in stmts:
            args += ["-e", s]
        return subprocess.run(args, capture_output=True, text=True, timeout=600,
                              env=env or os.environ)

    def test_statements_and_azure_sdk_cross_check(self):
        coll = azure_uri(self.container, "backups")
        self.ok("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, b BLOB)",
                "CREATE INDEX t_v ON t(v)",
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 20000) "
                "INSERT INTO t SELECT x, 'v' || x, randomblob(300) FROM c",
                f"BACKUP INTO '{coll}' {PW}",
                "UPDATE t SET v = 'changed' WHERE id % 50 = 0", "DELETE FROM t WHERE id < 10",
                f"BACKUP INTO LATEST IN '{coll}' {PW}",
                f"BACKUP TABLE t INTO '{azure_uri(self.container, 'plain')}'")
        self.assertEqual(len(self.rows(f"SHOW BACKUPS IN '{coll}'")), 1)
        layers = {r["backup_type"] for r in self.rows(f"SHOW BACKUP FROM LATEST IN '{coll}' {PW}")}
        self.assertEqual(layers, {"full", "incremental"})
        expected = table_dump(self.db_path("defaultdb"), "t")
        self.ok(f"RESTORE DATABASE defaultdb FROM LATEST IN '{coll}' "
                "WITH encryption_passphrase = 'azure-pw', new_db_name = 'r'")
        self.assertEqual(table_dump(self.db_path("r"), "t"), expected)
        self.ok("CREATE DATABASE other",
                f"RESTORE TABLE defaultdb.t FROM LATEST IN '{azure_uri(self.container, 'plain')}' "
                "WITH into_db = 'other'")
        self.assertEqual(self.rows("SELECT count(*) AS n FROM other.t"), [{"n": 19991}])

        # The Azure SDK lists the layout cofre wrote and downloads every blob of it.
        names = blob_names(self.container, "backups/")
        dl = os.path.join(self.tmp, "download")
        blob_tool("download", self.container, "backups/", dl)
        with open(os.path.join(dl, "LATEST")) as f:
            latest = f.read()
        self.assertIn("backups" + latest + "/BACKUP_MANIFEST", names)
        self.assertIn("backups" + latest + "/ENCRYPTION-INFO", names)
        self.assertTrue(any("/incrementals/" in n for n in names), names)
        sizes = {n: int(s) for s, n in (l.split(" ", 1) for l in
                                        blob_tool("list", self.container, "backups/").splitlines())}
        for n in names:
            self.assertEqual(os.path.getsize(os.path.join(dl, n[len("backups/"):])), sizes[n], n)
        # A collection the SDK copied to another container restores exactly.
        other = "cofre-copy-" + uuid.uuid4().hex[:8]
        blob_tool("copy", self.container, "backups/", other, "moved/here/")
        self.ok(f"RESTORE DATABASE defaultdb FROM LATEST IN '{azure_uri(other, 'moved/here')}' "
                "WITH encryption_passphrase = 'azure-pw', new_db_name = 'r2'")
        self.assertEqual(table_dump(self.db_path("r2"), "t"), expected)
        # Verification on Azure: every data file present with its size, every byte read back.
        moved = azure_uri(other, "moved/here")
        r = self.ok(f"SHOW BACKUP FROM LATEST IN '{moved}' WITH encryption_passphrase = "
                    "'azure-pw', check_files")
        self.assertRegex(r.stderr, r"NOTICE: check_files: all \d+ data files")
        self.ok(f"RESTORE DATABASE defaultdb FROM LATEST IN '{moved}' WITH encryption_passphrase "
                "= 'azure-pw', schema_only, verify_backup_table_data")
        # A data file deleted with the SDK: check_files names it.
        victim = next(n for n in blob_names(other, "moved/here/") if n.endswith(".cfd"))
        blob_tool("delete", other, victim)
        self.fails(f"SHOW BACKUP FROM LATEST IN '{moved}' WITH encryption_passphrase = "
                   "'azure-pw', check_files", contains=victim.rsplit("/", 1)[1])
        jobs = self.ok("SHOW JOBS").stdout
        self.assertNotIn(KEY, jobs)
        self.assertNotIn(urllib.parse.quote(KEY, safe=""), jobs)
        self.assertIn("AZURE_ACCOUNT_KEY=redacted", jobs)

    def test_every_other_statement_on_azure(self):
        """Cluster BACKUP and RESTORE into a fresh data directory, incremental_location,
        AS OF SYSTEM TIME, SHOW BACKUP SCHEMAS / FILES, on the azure:// alias too."""
        coll = azure_uri(self.container, "cluster").replace("azure-blob://", "azure://", 1)
        incs = azure_uri(self.container, "incs")
        self.ok("CREATE DATABASE shop")
        self.ok("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)",
                "CREATE VIEW names AS SELECT name FROM items",
                "INSERT INTO items VALUES (1, 'pen'), (2, 'ink')",
                f"BACKUP INTO '{coll}'",
                "INSERT INTO items VALUES (3, 'paper')",
                f"BACKUP INTO LATEST IN '{coll}' WITH incremental_location = '{incs}'",
                "DELETE FROM items WHERE id = 1",
                f"BACKUP INTO LATEST IN '{coll}' WITH incremental_location = '{incs}'",
                database="shop")
        layers = self.rows(f"SHOW BACKUP FROM LATEST IN '{coll}' "
                           f"WITH incremental_location = '{incs}'")
        ends = sorted({r["end_time"] for r in layers})
        self.assertEqual(len(ends), 3)
        schemas = self.ok(f"SHOW BACKUP SCHEMAS FROM LATEST IN '{coll}' "
                          f"WITH incremental_location = '{incs}'").stdout
        self.assertIn("CREATE VIEW", schemas)
        self.assertTrue(self.rows(f"SHOW BACKUP FILES FROM LATEST IN '{coll}' "
                                  f"WITH incremental_location = '{incs}'"))
        self.assertTrue(any(n.endswith("BACKUP_MANIFEST") for n in blob_names(self.container,
                                                                               "incs/")))
        fresh = os.path.join(self.tmp, "fresh")
        self.ok(f"RESTORE FROM LATEST IN '{coll}' WITH incremental_location = '{incs}'", data=fresh)
        self.assertEqual(self.rows("SELECT id FROM shop.items ORDER BY id", data=fresh),
                         [{"id": 2}, {"id": 3}])
        self.ok(f"RESTORE DATABASE shop FROM LATEST IN '{coll}' AS OF SYSTEM TIME '{ends[1]}' "
                f"WITH incremental_location = '{incs}', new_db_name = 'mid'")
        self.assertEqual(self.rows("SELECT id FROM mid.items ORDER BY id"),
                         [{"id": 1}, {"id": 2}, {"id": 3}])

    @unittest.skipUnless(KMS_ENDPOINT, "needs the moto KMS server")
    def test_kms_encrypted_backup_on_azure_with_alter_backup(self):
        import boto3
        kms = boto3.client("kms", endpoint_url=KMS_ENDPOINT, region_name="us-east-1",
                           aws_access_key_id="AKIACOFREAZKMS", aws_secret_access_key=S3_SECRET)

        def kms_uri():
            arn = kms.create_key(Description="cofre azure")["KeyMetadata"]["Arn"]
            q = urllib.parse.urlencode([
                ("AUTH", "specified"), ("AWS_ACCESS_KEY_ID", "AKIACOFREAZKMS"),
                ("AWS_SECRET_ACCESS_KEY", S3_SECRET), ("REGION", "us-east-1"),
                ("AWS_ENDPOINT", KMS_ENDPOINT)])
            return f"aws:///{arn}?{q}"
        old, new = kms_uri(), kms_uri()
        coll = azure_uri(self.container, "kms")
        self.ok("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
                "INSERT INTO t VALUES (1, 'a'), (2, 'b')",
                f"BACKUP INTO '{coll}' WITH kms = '{old}'",
                f"ALTER BACKUP LATEST IN '{coll}' ADD NEW_KMS = '{new}' WITH OLD_KMS = '{old}'",
                "INSERT INTO t VALUES (3, 'c')",
                f"BACKUP INTO LATEST IN '{coll}' WITH kms = ('{old}', '{new}')")
        self.ok(f"RESTORE DATABASE defaultdb FROM LATEST IN '{coll}' "
                f"WITH kms = '{new}', new_db_name = 'r'")
        self.assertEqual(self.rows("SELECT count(*) AS n FROM r.t"), [{"n": 3}])
        jobs = self.ok("SHOW JOBS").stdout
        self.assertNotIn(S3_SECRET, jobs)
        self.assertNotIn(KEY, jobs)

    @unittest.skipUnless(S3_ENDPOINT, "needs the moto S3 server")
    def test_mixed_chain_full_on_s3_incrementals_on_azure(self):
        import boto3
        bucket = "cofre-mixed-" + uuid.uuid4().hex[:8]
        boto3.client("s3", endpoint_url=S3_ENDPOINT, region_name="us-east-1",
                     aws_access_key_id="AKIACOFREAZURE",
                     aws_secret_access_key=S3_SECRET).create_bucket(Bucket=bucket)
        full, incs = s3_uri(bucket, "full"), azure_uri(self.container, "incs")
        self.ok("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
                "INSERT INTO t VALUES (1, 'a'), (2, 'b')",
                f"BACKUP INTO '{full}' {PW}",
                "INSERT INTO t VALUES (3, 'c')",
                f"BACKUP INTO LATEST IN '{full}' {PW}, incremental_location = '{incs}'",
                "UPDATE t SET v = 'z' WHERE id = 1",
                f"BACKUP INTO LATEST IN '{full}' {PW}, incremental_location = '{incs}'")
        names = blob_names(self.container, "incs/")
        self.assertEqual(sum(n.endswith("BACKUP_MANIFEST") for n in names), 2, names)
        layers = self.rows(f"SHOW BACKUP FROM LATEST IN '{full}' {PW}, "
                           f"incremental_location = '{incs}'")
        self.assertEqual(len({r["end_time"] for r in layers}), 3)
        expected = table_dump(self.db_path("defaultdb"), "t")
        self.ok(f"RESTORE DATABASE defaultdb FROM LATEST IN '{full}' {PW}, "
                f"incremental_location = '{incs}', new_db_name = 'r'")
        self.assertEqual(table_dump(self.db_path("r"), "t"), expected)

    def test_locality_aware_backup_over_two_containers(self):
        west = "cofre-west-" + uuid.uuid4().hex[:8]
        blob_tool("create-container", west)
        default = azure_uri(self.container, "loc", COCKROACH_LOCALITY="default")
        west_uri = azure_uri(west, "loc", COCKROACH_LOCALITY="region=us-west")
        lst = f"('{default}', '{west_uri}')"
        r = self.at("region=us-west,zone=a", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
                    "INSERT INTO t VALUES (1, 'a'), (2, 'b')", f"BACKUP INTO {lst} {PW}",
                    "INSERT INTO t VALUES (3, 'c')", f"BACKUP INTO LATEST IN {lst} {PW}")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(any("/data/" in n for n in blob_names(west, "loc/")))
        self.assertFalse(any("/data/" in n for n in blob_names(self.container, "loc/")))
        self.assertTrue(any(n.endswith("BACKUP_MANIFEST")
                            for n in blob_names(self.container, "loc/")))
        files = self.rows(f"SHOW BACKUP FILES FROM LATEST IN {lst} {PW}")
        self.assertEqual({f["locality"] for f in files}, {"region=us-west"})
        expected = table_dump(self.db_path("defaultdb"), "t")
        self.ok(f"RESTORE DATABASE defaultdb FROM LATEST IN {lst} {PW}, new_db_name = 'r'")
        self.assertEqual(table_dump(self.db_path("r"), "t"), expected)
        self.fails(f"RESTORE DATABASE defaultdb FROM LATEST IN '{default}' {PW}, "
                   "new_db_name = 'r2'", contains='locality "region=us-west"')

    def test_sas_token_and_implicit_credentials(self):
        sas = blob_tool("sas", self.container, "racwdl").strip()
        self.assertIn("sig=", sas)
        coll = azure_uri(self.container, "sas", AZURE_SAS_TOKEN=sas)
        self.ok("CREATE TABLE t (id INTEGER PRIMARY KEY)", "INSERT INTO t VALUES (1), (2)",
                f"BACKUP INTO '{coll}' {PW}",
                f"RESTORE DATABASE defaultdb FROM LATEST IN '{coll}' {PW}, new_db_name = 'r'")
        self.assertEqual(self.rows("SELECT count(*) AS n FROM r.t"), [{"n": 2}])
        sig = urllib.parse.parse_qs(sas)["sig"][0]
        jobs = self.ok("SHOW JOBS").stdout
        self.assertNotIn(sig, jobs)
        self.assertNotIn(urllib.parse.quote(sig, safe=""), jobs)
        # A read-only SAS cannot write: a clear PermissionDenied, the token not shown.
        ro = azure_uri(self.container, "sas-ro", AZURE_SAS_TOKEN=blob_tool(
            "sas", self.container, "rl").strip())
        r = self.fails(f"BACKUP INTO '{ro}' {PW}", contains="Azure rejected the credentials")
        self.assertNotIn("sig=", r.stderr.replace("sig=redacted", ""))
        # AUTH=implicit: the account key from AZURE_STORAGE_KEY, the account from the URI.
        implicit = "azure-blob://%s/implicit?" % self.container + urllib.parse.urlencode([
            ("AUTH", "implicit"), ("AZURE_ACCOUNT_NAME", ACCOUNT),
            ("AZURE_BLOB_ENDPOINT", ENDPOINT)])
        env = dict(os.environ, AZURE_STORAGE_KEY=KEY)
        for k in ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID"):
            env.pop(k, None)
        r = self.at(None, f"BACKUP INTO '{implicit}' {PW}", env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(any(n.endswith("BACKUP_MANIFEST")
                            for n in blob_names(self.container, "implicit/")))
        env.pop("AZURE_STORAGE_KEY")
        r = self.at(None, f"SHOW BACKUPS IN '{implicit}'", env=env)
        self.assertEqual(r.returncode, 1)
        self.assertIn("AZURE_STORAGE_KEY", r.stderr)

    def test_missing_container_rejected_credentials_and_unknown_parameters(self):
        self.ok("CREATE TABLE t (x)")
        missing = "cofre-missing-" + uuid.uuid4().hex[:8]
        r = self.fails(f"BACKUP INTO '{azure_uri(missing, 'b')}'",
                       contains=f"container '{missing}' does not exist")
        self.assertNotIn(KEY, r.stderr)
        wrong_key = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmcta2V5LXdyb25nLWtleQ=="
        r = self.fails(f"BACKUP INTO '{azure_uri(self.container, 'b', key=wrong_key)}'",
                       contains=["Azure rejected the credentials", "AZURE_ACCOUNT_KEY=redacted"])
        self.assertNotIn(wrong_key, r.stderr)
        self.assertNotIn(urllib.parse.quote(wrong_key, safe=""), r.stderr)
        self.assertEqual(blob_names(self.container), [])
        self.fails(f"BACKUP INTO '{azure_uri(self.container, 'x')}&AZURE_FROBNICATE=1'",
                   contains="AZURE_FROBNICATE")
        self.fails(f"BACKUP INTO '{azure_uri(self.container, 'x', AZURE_ENVIRONMENT='Mars')}'",
                   contains=["AZURE_ENVIRONMENT=Mars", "AzureUSGovernmentCloud"])
        self.fails(f"BACKUP INTO '{azure_uri(self.container, 'x', key=KEY, AZURE_SAS_TOKEN='sig=2')}'",
                   contains="more than one kind of credentials")

    def test_azure_ad_client_credentials(self):
        self.assertTrue(HTTPS_ENDPOINT and AZURE_CA, "COFRE_TEST_AZURE_HTTPS_ENDPOINT is not set")
        tokens = TokenServer()
        try:
            def ad_uri(secret, client="cofre-client", endpoint=HTTPS_ENDPOINT, prefix="ad"):
                return azure_uri(self.container, prefix, endpoint=endpoint,
                                 AZURE_CLIENT_ID=client, AZURE_CLIENT_SECRET=secret,
                                 AZURE_TENANT_ID="cofre-tenant",
                                 AZURE_AUTHORITY_HOST=tokens.endpoint)
            blob_tool("create-container", self.container, endpoint=HTTPS_ENDPOINT)
            env = dict(os.environ, CURL_CA_BUNDLE=AZURE_CA)
            r = self.at(None, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
                        "INSERT INTO t VALUES (1, 'a'), (2, 'b')", env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
            # The token endpoint refuses a wrong secret: a clear error, nothing leaked.
            r = self.at(None, f"BACKUP INTO '{ad_uri('wrong-' + AD_SECRET)}' {PW}", env=env)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("Azure AD refused the client credentials", r.stderr)
            self.assertIn("invalid_client", r.stderr)
            self.assertNotIn(AD_SECRET, r.stderr)
            self.assertEqual(tokens.requests[0][0], "/cofre-tenant/oauth2/v2.0/token")
            self.assertEqual(len(tokens.requests), 2)  # the 503 was retried
            # The right secret: a token for the storage audience, sent as a bearer token over
            # HTTPS; Azurite checks it, and the backup and its restore go through.
            good = ad_uri(AD_SECRET)
            r = self.at(None, f"BACKUP INTO '{good}' {PW}",
                        f"RESTORE DATABASE defaultdb FROM LATEST IN '{good}' {PW}, "
                        "new_db_name = 'r'", f"SHOW BACKUP FROM LATEST IN '{good}' {PW}", env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(table_dump(self.db_path("r"), "t"),
                             table_dump(self.db_path("defaultdb"), "t"))
            self.assertTrue(any(n.endswith("BACKUP_MANIFEST") for n in
                                blob_tool("list", self.container, "ad/",
                                          endpoint=HTTPS_ENDPOINT).split()))
            path, ctype, form = tokens.requests[-1]
            self.assertEqual(ctype, "application/x-www-form-urlencoded")
            self.assertEqual(form, {"grant_type": "client_credentials",
                                    "client_id": "cofre-client", "client_secret": AD_SECRET,
                                    "scope": "https://storage.azure.com/.default"})
            self.assertNotIn(AD_SECRET, self.at(None, "SHOW JOBS", env=env).stdout)
            # A token for another audience is refused by the service: PermissionDenied at once.
            r = self.at(None, f"BACKUP INTO '{ad_uri(AD_SECRET, client='wrong-audience')}'",
                        env=env)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("Azure rejected the credentials", r.stderr)
            # Without the CA, the self-signed endpoint is not trusted.
            r = self.at(None, f"SHOW BACKUPS IN '{good}'")
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertNotIn(AD_SECRET, r.stderr)
        finally:
            tokens.close()


@unittest.skipUnless(ENDPOINT, "COFRE_TEST_AZURE_ENDPOINT is not set: run "
                               "scripts/test-servers.sh start and source its env file")
class AzureFaultTest(CofreTestCase):
    """The fault proxy in front of Azurite, faulting every n-th request: retried faults are
    survived and the restored data is exact."""

    FAULTS = [
        ("500 InternalError every 3rd request", "mode=status&status=500&code=InternalError&every=3"),
        ("503 ServerBusy every 3rd request", "mode=status&status=503&code=ServerBusy&every=3"),
        ("connection reset every 3rd request", "mode=reset&every=3"),
        ("body cut mid-way every 2nd GET", "mode=truncate&every=2&match=GET"),
        ("list fails (500) every 2nd", "mode=status&status=500&code=InternalError&every=2"
                                       "&match=comp=list"),
    ]

    def test_faults_at_every_nth_request(self):
        container = "cofre-fault-" + uuid.uuid4().hex[:8]
        blob_tool("create-container", container)
        proxy = FaultProxy(ENDPOINT.rsplit("/", 1)[0])
        try:
            self.ok("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, b BLOB)",
                    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 3000)"
                    " INSERT INTO t SELECT x, 'v' || x, randomblob(200) FROM c")
            expected = table_dump(self.db_path("defaultdb"), "t")
            account_path = "/" + ENDPOINT.rsplit("/", 1)[1]
            for i, (name, config) in enumerate(self.FAULTS):
                with self.subTest(name):
                    coll = azure_uri(container, f"f{i}", endpoint=proxy.endpoint + account_path)
                    proxy.configure(config)
                    self.ok(f"BACKUP INTO '{coll}' {PW}", f"SHOW BACKUPS IN '{coll}'",
                            f"RESTORE DATABASE defaultdb FROM LATEST IN '{coll}' {PW}, "
                            f"new_db_name = 'r{i}'")
                    self.assertGreater(proxy.stats()["faults"], 0)
                    proxy.configure("mode=none")
                    self.assertEqual(table_dump(self.db_path(f"r{i}"), "t"), expected)
        finally:
            proxy.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
