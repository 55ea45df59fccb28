"""End-to-end tests of `cofre start` with clients nobody here wrote: psql and psycopg2.

Runs under Debian's /usr/bin/python3, where python3-psycopg2 lives (it re-executes itself there).
"""
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

try:
    import psycopg2
    import psycopg2.errorcodes
except ImportError:
    if os.path.exists("/usr/bin/python3") and os.environ.get("COFRE_REEXEC") != "1":
        os.environ["COFRE_REEXEC"] = "1"
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

sys.path.insert(0, os.path.dirname(__file__))
from server_testlib import COFRE, CofreServer, ServerTestCase, make_certs, psql  # noqa: E402


class PsqlTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        psql(cls.root, "CREATE USER alice WITH PASSWORD 'alice-pw-1'",
             "CREATE USER bob WITH PASSWORD 'bob-pw-1'",
             "CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, balance INT)",
             "INSERT INTO accounts VALUES (1, 'ada', 100), (2, 'bo', 50)",
             "GRANT SELECT, INSERT ON TABLE accounts TO alice",
             "GRANT SYSTEM BACKUP TO bob")

    def alice(self, **kw):
        return self.server.url("alice", "alice-pw-1", **kw)

    def test_password_over_tls_runs_queries(self):
        out = psql(self.alice(), "SELECT owner, balance FROM accounts ORDER BY id").stdout
        self.assertEqual(out.split(), ["ada|100", "bo|50"])
        # Channel binding (SCRAM-SHA-256-PLUS) when the client insists on it.
        out = psql(self.server.url("alice", "alice-pw-1", sslmode="require") +
                   "&channel_binding=require", "SELECT count(*) FROM accounts").stdout
        self.assertEqual(out.strip(), "2")

    def test_wrong_password_unknown_user_and_plaintext_are_refused(self):
        for url in (self.server.url("alice", "nope"), self.server.url("mallory", "x")):
            p = psql(url, "SELECT 1", check=False)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("password authentication failed", p.stderr)
        p = psql(self.server.url("alice", "alice-pw-1", sslmode="disable"), "SELECT 1", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("must use TLS", p.stderr)
        log = self.server.read_log()
        for secret in ("alice-pw-1", "nope", "bob-pw-1"):
            self.assertNotIn(secret, log)

    def test_privileges_are_enforced(self):
        # alice may read and insert, not update, not ATTACH, not PRAGMA, not BACKUP.
        psql(self.alice(), "INSERT INTO accounts VALUES (3, 'cy', 7)")
        for stmt, needle in [
            ("UPDATE accounts SET balance = 0", "UPDATE privilege"),
            ("ATTACH DATABASE '/tmp/x.db' AS x", "ATTACH"),
            ("PRAGMA journal_mode = DELETE", "PRAGMA"),
            ("BACKUP INTO 's3://bucket/x?AUTH=implicit'", "BACKUP privilege"),
            ("BACKUP INTO 'nodelocal://1/x'", "admin"),
            ("RESTORE FROM LATEST IN 'file:///tmp/x'", "admin"),
            ("CREATE USER eve", "admin"),
            ("SELECT load_extension('x')", "load_extension"),
        ]:
            p = psql(self.alice(), stmt, check=False)
            self.assertNotEqual(p.returncode, 0, stmt)
            self.assertIn(needle, p.stderr, stmt)
        # bob holds SYSTEM BACKUP but nodelocal:// stays admin-only.
        p = psql(self.server.url("bob", "bob-pw-1"), "BACKUP INTO 'nodelocal://1/bob'", check=False)
        self.assertIn("admin", p.stderr)

    def test_readme_backup_statements_with_a_psql_variable_passphrase(self):
        # The passphrase travels as a psql variable, never in argv of the server.
        script = ("\\set pw 'correct horse battery'\n"
                  "BACKUP INTO 'nodelocal://1/psql-backups' WITH encryption_passphrase = :'pw';\n"
                  "INSERT INTO accounts VALUES (10, 'late', 1);\n"
                  "BACKUP INTO LATEST IN 'nodelocal://1/psql-backups' WITH encryption_passphrase = :'pw';\n"
                  "SHOW BACKUPS IN 'nodelocal://1/psql-backups';\n"
                  "SHOW BACKUP FROM LATEST IN 'nodelocal://1/psql-backups' WITH encryption_passphrase = :'pw';\n"
                  "RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/psql-backups' "
                  "WITH encryption_passphrase = :'pw', new_db_name = 'restored';\n"
                  "SELECT count(*) FROM restored.accounts WHERE id = 10;\n"
                  "SHOW JOBS;\n")
        p = psql(self.root, input=script)
        self.assertIn("succeeded", p.stdout)
        # The restored database holds the row the incremental layer added.
        out = psql(self.root, "SELECT count(*) FROM restored.accounts WHERE id = 10").stdout
        self.assertEqual(out.strip(), "1")
        jobs = psql(self.root, "SHOW JOBS").stdout
        self.assertNotIn("correct horse", jobs)
        self.assertIn("*****", jobs)
        self.assertNotIn("correct horse", self.server.read_log())

    def test_copy_in_and_out(self):
        tmp = tempfile.mkdtemp()
        src = os.path.join(tmp, "in.csv")
        with open(src, "w") as f:
            f.write("id,name,note\n")
            for i in range(1, 2001):
                f.write(f'{i},"name, {i}",{"" if i % 10 == 0 else "n" + str(i)}\n')
        psql(self.root, "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, note TEXT)")
        psql(self.root, f"\\copy people FROM '{src}' WITH (FORMAT csv, HEADER)")
        out = psql(self.root, "SELECT count(*), count(note), max(name) FROM people").stdout.strip()
        self.assertEqual(out, "2000|1800|name, 999")
        dst = os.path.join(tmp, "out.txt")
        psql(self.root, f"\\copy (SELECT id, name, note FROM people WHERE id <= 10 ORDER BY id) TO '{dst}'")
        with open(dst) as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[0], "1\tname, 1\tn1")
        self.assertEqual(lines[9], "10\tname, 10\t\\N")
        # A bad row rolls the whole COPY back.
        bad = os.path.join(tmp, "bad.csv")
        with open(bad, "w") as f:
            f.write("5000,x,y\n5001,x\n")
        p = psql(self.root, f"\\copy people FROM '{bad}' WITH (FORMAT csv)", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("fields", p.stderr)
        out = psql(self.root, "SELECT count(*) FROM people WHERE id >= 5000").stdout.strip()
        self.assertEqual(out, "0")

    def test_cofre_sql_url_client(self):
        # cofre's own client: the same shell and formats over the wire, a passphrase from a file.
        pwfile = os.path.join(self.tmp, "url-pw")
        with open(pwfile, "w") as f:
            f.write("url client passphrase\n")
        p = subprocess.run([COFRE, "sql", "--url", self.root, "--set-file", f"pw={pwfile}",
                            "--format", "csv",
                            "-e", "BACKUP INTO 'nodelocal://1/url-client' WITH encryption_passphrase = :'pw'",
                            "-e", "RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/url-client' "
                                  "WITH encryption_passphrase = :'pw', new_db_name = 'via_url'",
                            "-e", "SELECT count(*) AS n FROM via_url.accounts"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("succeeded", p.stdout)
        self.assertIn("NOTICE: restored backup", p.stderr)
        self.assertEqual(p.stdout.strip().splitlines()[-2:], ["n", p.stdout.strip().splitlines()[-1]])
        # Errors come back as ERROR lines and exit 1; a password from PGPASSWORD.
        p = subprocess.run([COFRE, "sql", "--url", self.server.url("alice", sslmode="require"),
                            "-e", "UPDATE accounts SET balance = 0"],
                           capture_output=True, text=True, env=dict(os.environ, PGPASSWORD="alice-pw-1"),
                           timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("ERROR: user alice does not have UPDATE privilege", p.stderr)
        # No password at all, no terminal: a clear connection error.
        p = subprocess.run([COFRE, "sql", "--url", self.server.url("alice", sslmode="require"),
                            "-e", "SELECT 1"], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                           env={k: v for k, v in os.environ.items() if k != "PGPASSWORD"}, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("cannot connect", p.stderr)

    def test_embedded_sql_is_refused_while_the_server_runs(self):
        p = subprocess.run([COFRE, "sql", "--data", self.data, "-e", "SELECT 1"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 1)
        self.assertIn("owned by a running cofre server", p.stderr)
        self.assertIn(f"127.0.0.1:{self.server.port}", p.stderr)

    def test_health_and_metrics(self):
        base = f"http://127.0.0.1:{self.server.http_port}"
        self.assertEqual(urllib.request.urlopen(base + "/health").read(), b"ok\n")
        self.assertEqual(urllib.request.urlopen(base + "/health?ready=1").status, 200)
        psql(self.root, "SELECT 1")
        from prometheus_client.parser import text_string_to_metric_families
        text = urllib.request.urlopen(base + "/metrics").read().decode()
        families = {f.name: f for f in text_string_to_metric_families(text)}
        self.assertGreaterEqual(families["cofre_sql_connections"].samples[0].value, 0)
        self.assertGreater(families["cofre_sql_statements"].samples[0].value, 0)
        self.assertIn("cofre_jobs", families)


class Psycopg2Test(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        psql(cls.root, "CREATE USER carol WITH PASSWORD 'carol-pw'",
             "CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT UNIQUE, f REAL, b BLOB, ok BOOL)",
             "GRANT SELECT ON TABLE kv TO carol")

    def connect(self, **kw):
        return psycopg2.connect(self.server.url(client_cert="root"), **kw)

    def test_parameters_types_and_transactions(self):
        c = self.connect()
        cur = c.cursor()
        cur.execute("INSERT INTO kv VALUES (%s, %s, %s, %s, %s)",
                    (1, "it's", 2.5, psycopg2.Binary(b"\x00\xff"), True))
        c.rollback()
        cur.execute("SELECT count(*) FROM kv WHERE k = 1")
        self.assertEqual(cur.fetchone()[0], 0)
        cur.execute("INSERT INTO kv VALUES (%s, %s, %s, %s, %s)",
                    (1, "it's", 2.5, psycopg2.Binary(b"\x00\xff"), True))
        c.commit()
        cur.execute("SELECT k, v, f, b, ok FROM kv WHERE k = %s", (1,))
        k, v, f, b, ok = cur.fetchone()
        self.assertEqual((k, v, f, bytes(b), ok), (1, "it's", 2.5, b"\x00\xff", True))
        c.close()

    def test_error_codes(self):
        c = self.connect()
        c.autocommit = True
        cur = c.cursor()
        cur.execute("INSERT INTO kv (k, v) VALUES (100, 'dup')")
        for stmt, code in [("SELEC 1", "42601"),
                           ("SELECT * FROM missing_table", "42P01"),
                           ("INSERT INTO kv (k, v) VALUES (101, 'dup')", "23505")]:
            with self.assertRaises(psycopg2.Error) as e:
                cur.execute(stmt)
            self.assertEqual(e.exception.pgcode, code, stmt)
        c.close()
        with self.assertRaises(psycopg2.OperationalError) as e:
            psycopg2.connect(self.server.url("carol", "wrong"))
        self.assertIn("password authentication failed", str(e.exception))
        c = psycopg2.connect(self.server.url("carol", "carol-pw"))
        c.autocommit = True
        for stmt in ("DELETE FROM kv", "ATTACH DATABASE '/tmp/carol.db' AS x",
                     "PRAGMA journal_mode = OFF", "BACKUP INTO 'nodelocal://1/carol'",
                     "BACKUP DATABASE defaultdb INTO 's3://b/p?AUTH=implicit'",
                     "RESTORE FROM LATEST IN 'file:///tmp/x'", "CREATE USER carol2",
                     "GRANT SELECT ON TABLE kv TO carol"):
            with self.assertRaises(psycopg2.Error) as e:
                c.cursor().execute(stmt)
            self.assertEqual(e.exception.pgcode, "42501", stmt)
        self.assertFalse(os.path.exists("/tmp/carol.db"))
        c.close()

    def test_failed_transaction_needs_rollback(self):
        c = self.connect()
        cur = c.cursor()
        cur.execute("INSERT INTO kv (k, v) VALUES (200, 'x200')")
        with self.assertRaises(psycopg2.Error):
            cur.execute("INSERT INTO kv (k, v) VALUES (200, 'again')")
        with self.assertRaises(psycopg2.Error) as e:
            cur.execute("SELECT 1")
        self.assertEqual(e.exception.pgcode, "25P02")
        c.rollback()
        cur.execute("SELECT count(*) FROM kv WHERE k = 200")
        self.assertEqual(cur.fetchone()[0], 0)
        c.close()

    def test_server_side_cancel(self):
        c = self.connect()
        c.autocommit = True
        cur = c.cursor()
        threading.Timer(0.5, c.cancel).start()
        start = time.time()
        with self.assertRaises(psycopg2.Error) as e:
            cur.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                        "WHERE i < 1000000000) SELECT count(*) FROM n")
        self.assertEqual(e.exception.pgcode, "57014")
        self.assertLess(time.time() - start, 10)
        cur.execute("SELECT 42")  # the connection still works
        self.assertEqual(cur.fetchone()[0], 42)
        c.close()

    def test_copy_expert(self):
        import io
        c = self.connect()
        cur = c.cursor()
        cur.execute("CREATE TABLE bulk (id INTEGER PRIMARY KEY, v TEXT)")
        data = io.StringIO("".join(f"{i}\tvalue\\t{i}\n" for i in range(5000)))
        cur.copy_expert("COPY bulk FROM STDIN", data)
        c.commit()
        cur.execute("SELECT count(*), max(v) FROM bulk")
        self.assertEqual(cur.fetchone(), (5000, "value\t999"))
        out = io.StringIO()
        cur.copy_expert("COPY bulk TO STDOUT WITH (FORMAT csv)", out)
        self.assertEqual(len(out.getvalue().splitlines()), 5000)
        c.close()


class NodePostgresTest(ServerTestCase):
    """node-postgres: the extended protocol with named prepared statements (tests/node)."""

    def test_node_postgres_extended_protocol(self):
        node_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")
        if not os.path.isdir(os.path.join(node_dir, "node_modules", "pg")):
            self.fail("tests/node/node_modules is missing: make test installs it (npm ci)")
        url = self.server.url(client_cert="root")
        p = subprocess.run(["node", os.path.join(node_dir, "pg_extended.js"), url],
                           capture_output=True, text=True, timeout=120,
                           env=dict(os.environ, NODE_EXTRA_CA_CERTS=f"{self.certs}/ca.crt"))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("node-postgres: ok", p.stdout)


class LifecycleTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cofre-server-")
        self.data = os.path.join(self.tmp, "data")

    def test_insecure_only_on_loopback(self):
        p = subprocess.run([COFRE, "start", "--data", self.data, "--insecure",
                            "--listen-addr", "0.0.0.0:0", "--http-addr", ""],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertIn("loopback", p.stderr)
        p = subprocess.run([COFRE, "start", "--data", self.data, "--listen-addr", "127.0.0.1:0"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertIn("--certs-dir", p.stderr)

    def test_foreign_and_expired_client_certificates_are_refused(self):
        certs, ca_key = make_certs(self.tmp)
        other = os.path.join(self.tmp, "other")
        other_certs, _ = make_certs(other, clients=("root",))
        # An expired client certificate signed by the right CA.
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
        import datetime
        with open(ca_key, "rb") as f:
            ca_priv = serialization.load_pem_private_key(f.read(), None)
        with open(os.path.join(certs, "ca.crt"), "rb") as f:
            ca_cert = x509.load_pem_x509_certificate(f.read())
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.utcnow()
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "root")]))
                .issuer_name(ca_cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=10))
                .not_valid_after(now - datetime.timedelta(days=1))
                .sign(ca_priv, hashes.SHA256()))
        expired = os.path.join(self.tmp, "expired")
        os.makedirs(expired)
        with open(os.path.join(expired, "client.root.crt"), "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(os.path.join(expired, "client.root.key"), "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        os.chmod(os.path.join(expired, "client.root.key"), 0o600)
        server = CofreServer(self.data, certs=certs)
        try:
            ok = server.url(client_cert="root")
            self.assertEqual(psql(ok, "SELECT 7").stdout.strip(), "7")
            for d in (other_certs, expired):
                url = (server.url(sslmode="verify-full") +
                       f"&sslcert={d}/client.root.crt&sslkey={d}/client.root.key")
                p = psql(url, "SELECT 1", check=False)
                self.assertNotEqual(p.returncode, 0, d)
        finally:
            self.assertEqual(server.stop(), 0)

    def test_kill_9_loses_nothing_committed(self):
        server = CofreServer(self.data, insecure=True)
        url = server.url(sslmode="disable")
        psql(url, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        committed = []
        stop = threading.Event()

        def writer():
            c = psycopg2.connect(url)
            c.autocommit = True
            i = 0
            try:
                while not stop.is_set():
                    c.cursor().execute("INSERT INTO t VALUES (%s, %s)", (i, "x" * 100))
                    committed.append(i)
                    i += 1
            except psycopg2.Error:
                pass

        t = threading.Thread(target=writer)
        t.start()
        time.sleep(1.5)
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
        stop.set()
        t.join()
        self.assertGreater(len(committed), 10)
        server = CofreServer(self.data, insecure=True)
        try:
            out = psql(server.url(sslmode="disable"), "SELECT count(*), max(id) FROM t",
                       "PRAGMA integrity_check").stdout.split()
            count, max_id = map(int, out[0].split("|"))
            self.assertGreaterEqual(count, len(committed))
            self.assertEqual(out[1], "ok")
        finally:
            self.assertEqual(server.stop(), 0)

    def test_limits_end_in_protocol_errors_never_a_crash(self):
        import socket
        import struct
        server = CofreServer(self.data, insecure=True,
                             extra=("--max-connections", "3", "--lock-timeout", "300"))
        url = server.url(sslmode="disable")
        try:
            psql(url, "CREATE TABLE w (id INTEGER PRIMARY KEY)")
            # A writer holding the write lock makes another writer fail with 40001 after the
            # lock timeout, not hang.
            a = psycopg2.connect(url)
            a.cursor().execute("INSERT INTO w VALUES (1)")  # psycopg2 opened a transaction
            b = psycopg2.connect(url)
            b.autocommit = True
            start = time.time()
            with self.assertRaises(psycopg2.Error) as e:
                b.cursor().execute("INSERT INTO w VALUES (2)")
            self.assertEqual(e.exception.pgcode, "40001")
            self.assertLess(time.time() - start, 5)
            a.commit()
            b.cursor().execute("INSERT INTO w VALUES (2)")
            # Connection limit: the fourth concurrent client gets 53300.
            c = psycopg2.connect(url)
            with self.assertRaises(psycopg2.OperationalError) as e:
                psycopg2.connect(url)
            self.assertIn("too many clients", str(e.exception))
            for conn in (a, b, c):
                conn.close()
            time.sleep(0.3)
            # A message announcing 1 GiB ends that connection with 54000; the server lives on.
            sock = socket.create_connection(("127.0.0.1", server.port))
            startup = struct.pack(">i", 196608) + b"user\0root\0\0"
            sock.sendall(struct.pack(">i", len(startup) + 4) + startup)
            buf = b""
            while b"Z\0\0\0\5" not in buf:
                buf += sock.recv(4096)
            sock.sendall(b"Q" + struct.pack(">i", 1 << 30))
            reply = b""
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                reply += chunk
            sock.close()
            self.assertIn(b"54000", reply)
            # Garbage instead of a startup packet: closed, and the server still serves.
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.sendall(b"\xff" * 64)
            sock.close()
            self.assertEqual(psql(url, "SELECT count(*) FROM w").stdout.strip(), "2")
        finally:
            self.assertEqual(server.stop(), 0)

    def test_kill_9_during_a_backup(self):
        server = CofreServer(self.data, insecure=True)
        url = server.url(sslmode="disable")
        psql(url, "CREATE TABLE big (id INTEGER PRIMARY KEY, payload TEXT)",
             "INSERT INTO big SELECT i, hex(randomblob(200)) FROM (WITH RECURSIVE n(i) AS "
             "(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000) SELECT i FROM n)")
        backup = subprocess.Popen(["psql", url, "-c", "BACKUP INTO 'nodelocal://1/killed'"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(0.4)
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
        backup.communicate(timeout=30)
        server.log.close()
        server = CofreServer(self.data, insecure=True)
        url = server.url(sslmode="disable")
        try:
            out = psql(url, "SELECT count(*) FROM big", "PRAGMA integrity_check").stdout.split()
            self.assertEqual(out, ["300000", "ok"])
            # A killed backup is no backup: it is not listed, and the next one succeeds and
            # restores exactly.
            psql(url, "BACKUP INTO 'nodelocal://1/killed'")
            listed = psql(url, "SHOW BACKUPS IN 'nodelocal://1/killed'").stdout.split()
            self.assertEqual(len(listed), 1, listed)
            psql(url, "RESTORE DATABASE defaultdb FROM LATEST IN 'nodelocal://1/killed' "
                      "WITH new_db_name = 'after_kill'")
            self.assertEqual(psql(url, "SELECT count(*) FROM after_kill.big").stdout.strip(), "300000")
        finally:
            self.assertEqual(server.stop(), 0)

    def test_sigterm_drains_and_exits_zero(self):
        server = CofreServer(self.data, insecure=True, extra=("--drain-timeout", "20"))
        url = server.url(sslmode="disable")
        c = psycopg2.connect(url)
        c.autocommit = True
        result = {}

        def slow():
            try:
                cur = c.cursor()
                cur.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                            "WHERE i < 3000000) SELECT count(*) FROM n")
                result["rows"] = cur.fetchone()[0]
            except psycopg2.Error as e:
                result["error"] = str(e)

        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.3)
        server.proc.send_signal(signal.SIGTERM)
        t.join()
        self.assertEqual(server.proc.wait(timeout=30), 0)
        self.assertEqual(result.get("rows"), 3000000, result)
        server.log.close()


if __name__ == "__main__":
    unittest.main()
