"""CockroachDB's own documentation examples against `cofre start`.

Every BACKUP / RESTORE / SHOW BACKUP / job / schedule / external-connection statement in the
copies of CockroachDB's docs pages (tests/testdata/crdb-docs, extracted by
tests/tools/extract_docs_statements.py, cloud URIs rewritten to nodelocal storage and KMS URIs to
the moto KMS when the test servers run) goes to a server over the wire (psycopg2), on databases
shaped like the docs' (movr, bank, employees). Each statement either works, or is refused with
an error that says why (SQLSTATE 0A000 feature_not_supported for what cofre does not implement,
or another specific error) -- never SQLite's `near "X": syntax error`, a bare syntax error or an
internal error. The number that work must not drop below the figure in
tests/testdata/crdb-docs/README.md.

Runs under Debian's /usr/bin/python3, where python3-psycopg2 lives (it re-executes itself there).
"""
import os
import re
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "tools"))
from server_testlib import CofreServer, require_psycopg2  # noqa: E402
import extract_docs_statements  # noqa: E402

psycopg2 = require_psycopg2()

README = os.path.join(HERE, "testdata", "crdb-docs", "README.md")
PROJECT_README = os.path.join(HERE, "..", "README.md")
ROOT_URI = "nodelocal://1/docs"
# The collection every placeholder collection ('{collectionURI}', ...) stands for.
PLACEHOLDER_COLLECTION = ROOT_URI + "/collection"
# The external connections the docs name, and where they point.
CONNECTIONS = ["backup_s3", "s3_storage", "gcs_storage", "backup_storage", "backup_bucket",
               "backup_bucket_1", "s3_bucket"]

FIXTURES = [
    "CREATE DATABASE IF NOT EXISTS movr",
    "CREATE TABLE IF NOT EXISTS movr.users (id TEXT PRIMARY KEY, city TEXT, name TEXT)",
    "CREATE TABLE IF NOT EXISTS movr.vehicles (id TEXT PRIMARY KEY, city TEXT, type TEXT, "
    "owner_id TEXT REFERENCES users(id))",
    "CREATE TABLE IF NOT EXISTS movr.rides (id TEXT PRIMARY KEY, vehicle_id TEXT, revenue REAL)",
    "CREATE TABLE IF NOT EXISTS movr.promo_codes (code TEXT PRIMARY KEY, description TEXT)",
    "CREATE DATABASE IF NOT EXISTS bank",
    "CREATE TABLE IF NOT EXISTS bank.customers (id INTEGER PRIMARY KEY, name TEXT)",
    "CREATE TABLE IF NOT EXISTS bank.accounts (id INTEGER PRIMARY KEY, "
    "customer_id INTEGER REFERENCES customers(id), balance INTEGER)",
    "CREATE DATABASE IF NOT EXISTS employees",
    "CREATE TABLE IF NOT EXISTS employees.staff (id INTEGER PRIMARY KEY, name TEXT)",
    "CREATE DATABASE IF NOT EXISTS newdb",
    "CREATE DATABASE IF NOT EXISTS test_schema",
    "CREATE TABLE IF NOT EXISTS test_schema.t (id INTEGER PRIMARY KEY)",
]
ROWS = [
    "INSERT OR IGNORE INTO movr.users VALUES ('u1', 'amsterdam', 'Ada'), ('u2', 'boston', 'Bo')",
    "INSERT OR IGNORE INTO movr.vehicles VALUES ('v1', 'amsterdam', 'bike', 'u1')",
    "INSERT OR IGNORE INTO movr.rides VALUES ('r1', 'v1', 12.5)",
    "INSERT OR IGNORE INTO bank.customers VALUES (1, 'Ada'), (2, 'Bo')",
    "INSERT OR IGNORE INTO bank.accounts VALUES (1, 1, 100), (2, 2, 50)",
    "INSERT OR IGNORE INTO employees.staff VALUES (1, 'Cy')",
]

SUBDIR = r"'(?:/?\d{4}/\d\d/\d\d-\d{6}\.\d\d|[A-Za-z0-9+/=]{8,16}|\{subdirectory\})'"


def kms_uris():
    """Two moto KMS key URIs when the test servers run, else None."""
    endpoint = os.environ.get("COFRE_TEST_KMS_ENDPOINT")
    if not endpoint:
        return None
    import boto3
    import urllib.parse
    kms = boto3.client("kms", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="AKIACOFREDOCSTEST01", aws_secret_access_key="docs-secret")
    out = []
    for _ in range(2):
        arn = kms.create_key(Description="cofre docs test")["KeyMetadata"]["Arn"]
        q = urllib.parse.urlencode([("AUTH", "specified"), ("AWS_ACCESS_KEY_ID", "AKIACOFREDOCSTEST01"),
                                    ("AWS_SECRET_ACCESS_KEY", "docs-secret"),
                                    ("REGION", "us-east-1"), ("AWS_ENDPOINT", endpoint)])
        out.append("aws:///%s?%s" % (arn, q))
    return out


def classify(error):
    """'clear' or 'unclear' for a statement's error (a psycopg2.Error)."""
    msg = (error.pgerror or str(error)).strip()
    code = error.pgcode or ""
    if code == "0A000":
        return "clear"
    if re.search(r'near "[^"]*": syntax error|incomplete input|unrecognized token', msg):
        return "unclear"  # SQLite saw the statement
    if code in ("", "XX000") or "syntax error" in msg:
        return "unclear"
    return "clear"


class DocsStatementsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cofre-docs-")
        cls.server = CofreServer(os.path.join(cls.tmp, "data"), insecure=True)
        cls.kms = kms_uris()
        cls.conn = psycopg2.connect(cls.server.url(sslmode="disable"))
        cls.conn.autocommit = True

    @classmethod
    def tearDownClass(cls):
        cls.conn.close()
        rc = cls.server.stop()
        log = cls.server.read_log() if rc else ""
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert rc == 0, f"server exited {rc}: {log}"

    def run_sql(self, sql):
        with self.conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall() if cur.description else []

    def try_sql(self, sql):
        try:
            return self.run_sql(sql), None
        except psycopg2.Error as e:
            return None, e

    def prepare(self):
        """Puts back what the docs assume: their databases, rows and external connections."""
        self.run_sql("USE defaultdb")
        self.run_sql("CREATE USER IF NOT EXISTS docs_user")
        for s in FIXTURES + ROWS:
            self.run_sql(s)
        for name in CONNECTIONS:
            self.try_sql(f"CREATE EXTERNAL CONNECTION IF NOT EXISTS {name} AS "
                         f"'{ROOT_URI}/conn/{name}'")

    def collection_of(self, sql):
        m = re.search(r"\bIN\s+\(?\s*'([^']*)'", sql, re.IGNORECASE)
        return m.group(1) if m else None

    def latest_subdir(self, collection, sql):
        """A backup in `collection` (taken first when there is none, with the statement's
        encryption options), as SHOW BACKUPS lists it."""
        rows, err = self.try_sql(f"SHOW BACKUPS IN '{collection}'")
        if not rows:
            enc = re.search(r"\bWITH\s+.*?((kms|encryption_passphrase)\s*=\s*(\([^)]*\)|'[^']*'))",
                            sql, re.IGNORECASE)
            self.try_sql(f"BACKUP INTO '{collection}'" + (f" WITH {enc.group(1)}" if enc else ""))
            rows, err = self.try_sql(f"SHOW BACKUPS IN '{collection}'")
        return rows[-1][0] if rows else None

    def instantiate(self, sql):
        """Fills the docs' placeholders and example IDs with real ones."""
        sql = re.sub(r"'\{collectionURI\}'|'your_backup_collection_URI'",
                     f"'{PLACEHOLDER_COLLECTION}'", sql)
        sql = sql.replace("{'subdirectory'}", "'{subdirectory}'").replace("backup_database_name",
                                                                            "movr")
        sql = re.sub(r"(FROM|BACKUP|INTO)\s+\{subdirectory\}", r"\1 '{subdirectory}'", sql)
        sql = re.sub(r"\bTO user;$", "TO docs_user;", sql)  # the docs' placeholder user
        m = re.match(r"CREATE EXTERNAL CONNECTION (\w+)", sql, re.IGNORECASE)
        if m:  # the statement creates it itself
            self.try_sql(f"DROP EXTERNAL CONNECTION IF EXISTS {m.group(1)}")
        if re.search(r"\bLATEST\s+IN\b", sql, re.IGNORECASE) and not re.match(r"CREATE", sql, re.I):
            self.latest_subdir(self.collection_of(sql), sql)  # the docs assume a backup there
        if re.search(r"(FROM|BACKUP|INTO)\s+" + SUBDIR + r"\s+IN\b", sql, re.IGNORECASE):
            collection = self.collection_of(sql)
            subdir = self.latest_subdir(collection, sql) if collection else None
            if subdir:
                sql = re.sub(r"((FROM|BACKUP|INTO)\s+)" + SUBDIR + r"(\s+IN\b)",
                             lambda m: f"{m.group(1)}'{subdir}'{m.group(3)}", sql, count=1,
                             flags=re.IGNORECASE)
        if re.search(r"\bJOB\s+(WHEN\s+COMPLETE\s+)?\d+", sql, re.IGNORECASE):
            rows, _ = self.try_sql("WITH x AS (SHOW JOBS) SELECT job_id FROM x "
                                   "ORDER BY created DESC LIMIT 1")
            if rows is None:  # before SHOW statements were table sources
                rows, _ = self.try_sql("SHOW JOBS")
            if rows:
                sql = re.sub(r"(\bJOB\s+(WHEN\s+COMPLETE\s+)?)\d+", rf"\g<1>{rows[0][0]}", sql,
                             flags=re.IGNORECASE)
        if re.search(r"\bSCHEDULES?\s+\d+", sql, re.IGNORECASE):
            rows, _ = self.try_sql("SHOW SCHEDULES")
            if rows:
                sql = re.sub(r"(\bSCHEDULES?\s+)\d+", rf"\g<1>{rows[0][0]}", sql,
                             flags=re.IGNORECASE)
        return sql

    def clear_restore_targets(self, sql):
        """RESTORE creates what it restores: drop it first, as on the docs' fresh cluster."""
        m = re.match(r"RESTORE\s+(DATABASE\s+([\w, ]+?)|TABLE\s+([\w., ]+?)|([\w.]+))\s+FROM",
                     sql, re.IGNORECASE)
        if re.search(r"new_db_name", sql, re.IGNORECASE):
            target = re.search(r"new_db_name\s*=\s*'?(\w+)", sql, re.IGNORECASE).group(1)
            self.try_sql(f"DROP DATABASE IF EXISTS {target} CASCADE")
            return
        if not m:  # a full cluster restore needs no user databases
            rows, _ = self.try_sql("SHOW DATABASES")
            for (name, *_rest) in rows or []:
                if name not in ("defaultdb", "postgres", "system"):
                    self.try_sql(f"DROP DATABASE IF EXISTS {name} CASCADE")
            return
        if m.group(2):
            for db in m.group(2).split(","):
                self.try_sql(f"DROP DATABASE IF EXISTS {db.strip()} CASCADE")
        else:
            for t in (m.group(3) or m.group(4)).split(","):
                self.try_sql(f"DROP TABLE IF EXISTS {t.strip()}")

    def test_docs_statements(self):
        stmts = extract_docs_statements.extract(storage_root=ROOT_URI,
                                                kms=",".join(self.kms) if self.kms else None)
        self.assertGreater(len(stmts), 100)
        results = {"works": [], "clear": [], "unclear": []}
        for s in stmts:
            if not self.kms and re.search(r"kms", s["sql"], re.IGNORECASE):
                continue  # needs the moto KMS (scripts/test-servers.sh)
            self.prepare()
            sql = self.instantiate(s["sql"])
            if re.match(r"RESTORE\b", sql, re.IGNORECASE):
                self.latest_subdir(self.collection_of(sql), sql)
                self.clear_restore_targets(sql)
            rows, err = self.try_sql(sql)
            if err is None and re.search(r"\bDETACHED\b", sql, re.IGNORECASE) and rows:
                self.try_sql(f"SHOW JOB WHEN COMPLETE {rows[0][0]}")  # before the next one
            if os.environ.get("DOCS_VERBOSE"):
                print(f"{sql}\n  -> {err.pgerror.strip() if err else 'ok'}", file=sys.stderr)
            if err is None:
                results["works"].append((s["page"], sql, ""))
            else:
                results[classify(err)].append(
                    (s["page"], sql, f"{err.pgcode}: {(err.pgerror or str(err)).strip()}"))
        total = sum(len(v) for v in results.values())
        report = []
        for kind in ("unclear", "clear"):
            for page, sql, why in results[kind]:
                report.append(f"[{kind}] {page}: {sql}\n    -> {why}")
        summary = (f"{len(results['works'])} of {total} statements work, "
                   f"{len(results['clear'])} refused clearly, {len(results['unclear'])} unclear")
        print("\n" + "\n".join(report) + "\n" + summary, file=sys.stderr)
        with open(README) as f:
            m = re.search(r"(\d+) of (\d+) statements from CockroachDB's docs run", f.read())
        self.assertIsNotNone(m, "README.md must hold the count")
        with open(PROJECT_README) as f:
            self.assertIn(f"{m.group(1)} of {m.group(2)} statements from CockroachDB's docs run",
                          f.read(), "the project README must hold the same count")
        self.assertEqual([], results["unclear"], summary)
        if self.kms:  # the recorded count is with the KMS statements
            self.assertGreaterEqual(len(results["works"]), int(m.group(1)), summary)


if __name__ == "__main__":
    unittest.main()
