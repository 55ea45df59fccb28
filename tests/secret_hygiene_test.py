"""Secret hygiene: a session that uses a passphrase, KMS URIs (moto KMS) and S3 credentials with
a session token (moto S3), including failing statements (wrong passphrase, a bad URI carrying a
secret, an unreachable endpoint, an unknown KMS key), then a scan of everything cofre wrote:
stdout/stderr of every command, every file of the data directory (system.sqlite with its job
records, databases, nodelocal collections), SHOW JOBS in every output format, and every object
of the S3 bucket. No passphrase, AWS secret key, session token or chain data key may appear,
raw or in hex, base64 or URL-encoded form. The data keys are recovered independently (PBKDF2 +
AES-GCM unwrap per docs/format.md, and KMS Decrypt through boto3) so they can be searched for.
The same scan runs for Azure credentials (Azurite): the account key, a SAS token's signature, a
wrong account key and an Azure AD client secret, with every blob of the container downloaded by
the Azure SDK (tests/azure/blob_tool.js). Skipped when the test servers' env is absent."""
import base64
import codecs
import os
import re
import subprocess
import sys
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from cofre_testlib import COFRE, CofreTestCase, table_dump  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
S3 = os.environ.get("COFRE_TEST_S3_ENDPOINT", "")
KMS = os.environ.get("COFRE_TEST_KMS_ENDPOINT", "")
PASSPHRASE = "hygiene-Passphrase-9f2c1b7e+/="
WRONG_PASSPHRASE = "hygiene-WrongPass-33aa71d0"
S3_ID = "AKIAHYGIENETEST00001"
S3_SECRET = "hygiene-S3-SECRET-4d9e0a7c/+x"
S3_TOKEN = "hygiene-SESSION-TOKEN-b81f22e3"
BAD_URI_SECRET = "hygiene-BADURI-SECRET-0c55e1"
UNREACHABLE_SECRET = "hygiene-UNREACHABLE-SECRET-77d2"
KMS_ID = "AKIAHYGIENEKMS000001"
KMS_SECRET = "hygiene-KMS-SECRET-e6a9b3f4"
AZURE = os.environ.get("COFRE_TEST_AZURE_ENDPOINT", "")
AZURE_KEY = os.environ.get("COFRE_TEST_AZURE_KEY", "")
AZURE_WRONG_KEY = base64.b64encode(b"hygiene-AZURE-WRONG-KEY-61be0f3a7d").decode()
AZURE_AD_SECRET = "hygiene-AZURE-AD-SECRET-2f9c41"


def forms(secret):
    """The byte strings a secret could leak as: raw, hex, base64 (and URL-safe), URL-encoded."""
    raw = secret.encode() if isinstance(secret, str) else secret
    out = {raw, raw.hex().encode(), raw.hex().upper().encode(), base64.b64encode(raw),
           base64.urlsafe_b64encode(raw), base64.b64encode(raw).rstrip(b"=")}
    if isinstance(secret, str):
        out.add(urllib.parse.quote(secret, safe="").encode())
        out.add(urllib.parse.quote_plus(secret).encode())
    return {f for f in out if len(f) >= 12}


def decode_encryption_info(path):
    """ENCRYPTION-INFO decoded by protoc with cofre's .proto: (chain_id, [entries])."""
    with open(path, "rb") as f:
        raw = f.read()
    out = subprocess.run(["protoc", "--decode=cofre.EncryptionInfo", "-I",
                          os.path.join(ROOT, "proto"),
                          os.path.join(ROOT, "proto", "encryption_info.proto")],
                         input=raw, capture_output=True, check=True).stdout.decode("latin-1")
    info, entries, entry = {}, [], None
    for line in out.splitlines():
        line = line.strip()
        if line == "keys {":
            continue
        if line.endswith("{"):
            entry = {"source": line[:-1].strip()}
            entries.append(entry)
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
    return info, entries


@unittest.skipUnless(S3 and KMS, "COFRE_TEST_S3_ENDPOINT / COFRE_TEST_KMS_ENDPOINT are not set: "
                                 "run scripts/test-servers.sh start and source its env file")
class SecretHygieneTest(CofreTestCase):
    def setUp(self):
        super().setUp()
        import boto3
        self.bucket = "cofre-hygiene-" + uuid.uuid4().hex[:10]
        self.s3 = boto3.client("s3", endpoint_url=S3, region_name="us-east-1",
                               aws_access_key_id=S3_ID, aws_secret_access_key=S3_SECRET)
        self.s3.create_bucket(Bucket=self.bucket)
        self.kms = boto3.client("kms", endpoint_url=KMS, region_name="us-east-1",
                                aws_access_key_id=KMS_ID, aws_secret_access_key=KMS_SECRET)
        self.key_arn = self.kms.create_key(Description="cofre hygiene")["KeyMetadata"]["Arn"]
        self.key2_arn = self.kms.create_key(Description="cofre hygiene 2")["KeyMetadata"]["Arn"]
        self.outputs = []  # every stdout and stderr cofre printed

    def s3_uri(self, prefix, endpoint=S3, secret=S3_SECRET, extra=()):
        return f"s3://{self.bucket}/{prefix}?" + urllib.parse.urlencode([
            ("AWS_ACCESS_KEY_ID", S3_ID), ("AWS_SECRET_ACCESS_KEY", secret),
            ("AWS_SESSION_TOKEN", S3_TOKEN), ("AWS_REGION", "us-east-1"),
            ("AWS_ENDPOINT", endpoint), ("AWS_USE_PATH_STYLE", "true")] + list(extra))

    def kms_uri(self, arn, endpoint=KMS):
        return f"aws:///{arn}?" + urllib.parse.urlencode([
            ("AUTH", "specified"), ("AWS_ACCESS_KEY_ID", KMS_ID),
            ("AWS_SECRET_ACCESS_KEY", KMS_SECRET), ("REGION", "us-east-1"),
            ("AWS_ENDPOINT", endpoint)])

    def run_ok(self, *stmts, **kw):
        r = self.ok(*stmts, **kw)
        self.outputs += [r.stdout, r.stderr]
        return r

    def run_fail(self, *stmts, contains=None, **kw):
        r = self.fails(*stmts, contains=contains, **kw)
        self.outputs += [r.stdout, r.stderr]
        return r

    def data_keys(self, infos=None):
        """The DKs of the passphrase chains (unwrapped per docs/format.md §3) and of the KMS
        chain (KMS Decrypt through boto3), recovered without cofre's code; `infos` adds
        ENCRYPTION-INFO files read elsewhere (Azure)."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        import hashlib
        keys = []
        infos = list(infos or [])
        for dirpath, _, files in os.walk(os.path.join(self.data, "extern")):
            if "ENCRYPTION-INFO" in files:
                with open(os.path.join(dirpath, "ENCRYPTION-INFO"), "rb") as f:
                    infos.append(f.read())
        for obj in self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", []):
            if obj["Key"].endswith("/ENCRYPTION-INFO"):
                infos.append(self.s3.get_object(Bucket=self.bucket, Key=obj["Key"])["Body"].read())
        for raw in infos:
            path = os.path.join(self.tmp, "info.bin")
            with open(path, "wb") as f:
                f.write(raw)
            info, entries = decode_encryption_info(path)
            chain_id = info["chain_id"]
            for e in entries:
                if e["source"] == "passphrase":
                    kek = hashlib.pbkdf2_hmac("sha256", PASSPHRASE.encode(), e["salt"],
                                              e["iterations"], 32)
                    w = e["wrapped_key"]
                    keys.append(AESGCM(kek).decrypt(w[:12], w[12:],
                                                    b"cofre-dk-wrap-v1" + chain_id))
                elif e["source"] == "kms":
                    keys.append(self.kms.decrypt(
                        CiphertextBlob=e["wrapped_key"],
                        EncryptionContext={"cofre-chain": chain_id.hex()})["Plaintext"])
        return keys

    def test_no_secret_anywhere(self):
        pw = f"encryption_passphrase = '{PASSPHRASE}'"
        s3 = self.s3_uri("coll")
        kms = self.kms_uri(self.key_arn)
        self.run_ok("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, b BLOB)",
                    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 3000) "
                    "INSERT INTO t SELECT x, 'v' || x, randomblob(64) FROM c")
        expected = table_dump(self.db_path("defaultdb"), "t")
        # Successful statements with every kind of secret.
        self.run_ok(f"BACKUP INTO '{s3}' WITH {pw}")
        self.run_ok("UPDATE t SET v = 'x' WHERE id % 10 = 0",
                    f"BACKUP INTO LATEST IN '{s3}' WITH {pw}")
        expected_inc = table_dump(self.db_path("defaultdb"), "t")
        self.run_ok(f"BACKUP INTO 'nodelocal://1/pw' WITH {pw}")
        self.run_ok(f"BACKUP INTO 'nodelocal://1/kms' WITH kms = '{kms}'")
        self.run_ok(f"BACKUP INTO LATEST IN 'nodelocal://1/kms' WITH kms = '{kms}'")
        self.run_ok(f"ALTER BACKUP LATEST IN 'nodelocal://1/kms' ADD NEW_KMS = "
                    f"'{self.kms_uri(self.key2_arn)}' WITH OLD_KMS = '{kms}'")
        self.run_ok(f"SHOW BACKUPS IN '{s3}'", f"SHOW BACKUP FROM LATEST IN '{s3}' WITH {pw}",
                    f"SHOW BACKUP FILES FROM LATEST IN '{s3}' WITH {pw}")
        self.run_ok(f"RESTORE DATABASE defaultdb FROM LATEST IN '{s3}' "
                    f"WITH {pw}, new_db_name = 'r1'")
        self.assertEqual(table_dump(self.db_path("r1"), "t"), expected_inc)
        self.run_ok(f"RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/kms' "
                    f"WITH kms = '{self.kms_uri(self.key2_arn)}', new_db_name = 'r2'")
        # The same statements through stdin (no -e), as a script would send them.
        r = self.cofre(input=f"SHOW BACKUP FROM LATEST IN '{s3}' WITH {pw};\n"
                             f"RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/pw' "
                             f"WITH {pw}, new_db_name = 'r3';\n")
        self.assertEqual(r.returncode, 0, repr(r))
        self.outputs += [r.stdout, r.stderr]
        self.assertEqual(table_dump(self.db_path("r3"), "t"), expected_inc)
        # Failing statements.
        self.run_fail(f"RESTORE DATABASE defaultdb FROM LATEST IN '{s3}' "
                      f"WITH encryption_passphrase = '{WRONG_PASSPHRASE}', new_db_name = 'bad'",
                      contains="passphrase")
        self.run_fail(f"SHOW BACKUP FROM LATEST IN 'nodelocal://1/pw' "
                      f"WITH encryption_passphrase = '{WRONG_PASSPHRASE}'")
        self.run_fail(f"BACKUP INTO '{self.s3_uri('x', secret=BAD_URI_SECRET, extra=[('AWS_FROBNICATE', '1')])}'",
                      contains="AWS_FROBNICATE")
        self.run_fail(f"BACKUP INTO 's3://{self.bucket}/y?AWS_ACCESS_KEY_ID={S3_ID}&"
                      f"AWS_SECRET_ACCESS_KEY={BAD_URI_SECRET}'")  # no region
        self.run_fail(f"BACKUP INTO 'nodelocal://1/kms2' WITH kms = "
                      f"'{self.kms_uri('arn:aws:kms:us-east-1:123456789012:key/' + str(uuid.uuid4()))}'")
        self.run_fail(f"RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/kms' WITH kms = "
                      f"'{self.kms_uri(self.key_arn, endpoint='http://127.0.0.1:1')}', "
                      "new_db_name = 'bad2'", timeout=300)
        self.run_fail(f"SHOW BACKUPS IN '{self.s3_uri('z', endpoint='http://127.0.0.1:1', secret=UNREACHABLE_SECRET)}'",
                      timeout=300)
        self.run_fail(f"BACKUP INTO '{s3}' WITH encryption_passphrase = '{PASSPHRASE}', "
                      f"kms = '{kms}', detached = frob")
        # SHOW JOBS in every format: descriptions are redacted, not blank.
        for fmt in ("table", "csv", "tsv", "json"):
            r = self.run_ok("SHOW JOBS", fmt=fmt)
            self.assertIn("*****", r.stdout)
            self.assertIn("redacted", r.stdout)
        self.assertNotIn("bad", {r["database_name"] for r in self.rows("SHOW DATABASES")})
        # The interactive shell on a terminal: its history file must hide the secrets typed.
        home = os.path.join(self.tmp, "home")
        os.makedirs(home)
        typed = [
            f"SHOW BACKUP FROM LATEST IN '{s3}' WITH {pw};",
            f"BACKUP INTO 'nodelocal://1/tty' WITH encryption_passphrase = '{PASSPHRASE}',",
            f"  kms = '{kms}';",
            f"RESTORE DATABASE defaultdb FROM LATEST IN '{s3}' WITH {pw} new_db_name = 'typo';",
            f"SELECT 1; SHOW BACKUP FROM LATEST IN 'nodelocal://1/pw' WITH "
            f"encryption_passphrase = '{WRONG_PASSPHRASE}';"]
        shown = self.interactive(typed, home)
        self.assertIn("passphrase is wrong", shown)  # the statements really ran
        # The terminal echoes what is typed; what cofre printed besides must be clean.
        printed = shown
        for line in typed:
            printed = printed.replace(line, "")
        self.outputs.append(printed)
        history_file = os.path.join(home, ".cofre_history")
        with open(history_file, "rb") as f:
            history_raw = f.read()
        # libedit stores entries vis(3)-encoded: a space is \040. Decoded for the scan.
        history = re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]), history_raw)
        self.assertEqual(os.stat(history_file).st_mode & 0o777, 0o600)
        self.assertIn(b"*****", history)
        self.assertIn(b"redacted", history)
        self.assertIn(b"SHOW BACKUP FROM LATEST IN", history)

        secrets = {"passphrase": PASSPHRASE, "wrong passphrase": WRONG_PASSPHRASE,
                   "S3 secret key": S3_SECRET, "S3 session token": S3_TOKEN,
                   "secret in a bad URI": BAD_URI_SECRET,
                   "secret for an unreachable endpoint": UNREACHABLE_SECRET,
                   "KMS secret key": KMS_SECRET}
        try:
            dks = self.data_keys()
        except ImportError:  # python3-cryptography missing: the DK scan is skipped
            dks = []
        if dks:
            self.assertGreaterEqual(len(dks), 3)  # s3 chain, nodelocal pw chain, kms chain
        for i, dk in enumerate(dks):
            self.assertEqual(len(dk), 32)
            secrets[f"data key {i}"] = dk
        needles = {name: forms(s) for name, s in secrets.items()}

        def scan(where, blob):
            for name, fs in needles.items():
                for f in fs:
                    self.assertNotIn(f, blob, f"{name} found in {where}")

        for i, out in enumerate(self.outputs):
            scan(f"output {i}", out.encode())
        scan("the shell history", history_raw)
        scan("the shell history (decoded)", history)
        files = 0
        for dirpath, _, names in os.walk(self.data):
            for n in names:
                with open(os.path.join(dirpath, n), "rb") as f:
                    scan(os.path.join(dirpath, n), f.read())
                files += 1
        objects = 0
        for obj in self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", []):
            scan("s3://" + obj["Key"],
                 self.s3.get_object(Bucket=self.bucket, Key=obj["Key"])["Body"].read())
            objects += 1
        self.assertGreater(files, 10)
        self.assertGreater(objects, 5)
        print(f"secret hygiene: {len(self.outputs)} outputs, {files} files, {objects} S3 objects "
              f"scanned for {len(secrets)} secrets ({len(dks)} data keys) in "
              f"{sum(len(v) for v in needles.values())} encodings", file=sys.stderr)

    @unittest.skipUnless(AZURE, "COFRE_TEST_AZURE_ENDPOINT is not set")
    def test_no_azure_secret_anywhere(self):
        sys.path.insert(0, os.path.dirname(__file__))
        import azure_test as az
        container = "hygiene-" + uuid.uuid4().hex[:10]
        az.blob_tool("create-container", container)
        pw = f"encryption_passphrase = '{PASSPHRASE}'"
        coll = az.azure_uri(container, "coll")
        sas = az.blob_tool("sas", container, "racwdl").strip()
        sig = urllib.parse.parse_qs(sas)["sig"][0]
        sas_coll = az.azure_uri(container, "sas", AZURE_SAS_TOKEN=sas)
        self.run_ok("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
                    "INSERT INTO t VALUES (1, 'a'), (2, 'b')",
                    f"BACKUP INTO '{coll}' WITH {pw}", f"BACKUP INTO LATEST IN '{coll}' WITH {pw}",
                    f"BACKUP INTO '{sas_coll}' WITH kms = '{self.kms_uri(self.key_arn)}'",
                    f"SHOW BACKUPS IN '{coll}'", f"SHOW BACKUP FROM LATEST IN '{sas_coll}' WITH "
                    f"kms = '{self.kms_uri(self.key_arn)}'",
                    f"RESTORE DATABASE defaultdb FROM LATEST IN '{coll}' WITH {pw}, "
                    "new_db_name = 'r1'")
        self.run_fail(f"SHOW BACKUPS IN '{az.azure_uri(container, 'coll', key=AZURE_WRONG_KEY)}'",
                      contains="Azure rejected the credentials")
        self.run_fail(f"BACKUP INTO '{az.azure_uri(container, 'x')}&AZURE_FROBNICATE=1'",
                      contains="AZURE_FROBNICATE")
        self.run_fail(f"BACKUP INTO '{az.azure_uri(container, 'ad', AZURE_CLIENT_ID='c', AZURE_TENANT_ID='t', AZURE_CLIENT_SECRET=AZURE_AD_SECRET, AZURE_AUTHORITY_HOST='http://127.0.0.1:1')}'",
                      timeout=300)
        for fmt in ("table", "json"):
            r = self.run_ok("SHOW JOBS", fmt=fmt)
            self.assertIn("AZURE_ACCOUNT_KEY=redacted", r.stdout)
            self.assertIn("AZURE_SAS_TOKEN=redacted", r.stdout)
        blobs = os.path.join(self.tmp, "blobs")
        az.blob_tool("download", container, "", blobs)
        infos = []
        for dirpath, _, names in os.walk(blobs):
            if "ENCRYPTION-INFO" in names:
                with open(os.path.join(dirpath, "ENCRYPTION-INFO"), "rb") as f:
                    infos.append(f.read())
        secrets = {"passphrase": PASSPHRASE, "Azure account key": AZURE_KEY,
                   "Azure account key (decoded)": base64.b64decode(AZURE_KEY),
                   "SAS signature": sig, "wrong Azure key": AZURE_WRONG_KEY,
                   "Azure AD client secret": AZURE_AD_SECRET, "KMS secret key": KMS_SECRET}
        try:
            for i, dk in enumerate(self.data_keys(infos)):
                secrets[f"data key {i}"] = dk
        except ImportError:
            pass
        needles = {name: forms(v) for name, v in secrets.items()}
        scanned = 0
        for where, blob in ([(f"output {i}", o.encode()) for i, o in enumerate(self.outputs)] +
                            [(os.path.join(d, n), open(os.path.join(d, n), "rb").read())
                             for root in (self.data, blobs) for d, _, ns in os.walk(root)
                             for n in ns]):
            scanned += 1
            for name, fs in needles.items():
                for f in fs:
                    self.assertNotIn(f, blob, f"{name} found in {where}")
        self.assertGreater(scanned, 15)


if __name__ == "__main__":
    unittest.main(verbosity=2)
