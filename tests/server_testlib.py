"""Helpers for the wire-server tests: certificates, a running `cofre start`, and real clients.

The clients are programs nobody here wrote: psql (libpq), psycopg2 (Debian's python3-psycopg2),
node-postgres. psycopg2 lives in Debian's /usr/bin/python3; tests that need it re-run there.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

COFRE = os.environ.get("COFRE_BIN", os.path.join(os.path.dirname(__file__), "..", "build", "cofre"))


def require_psycopg2():
    """Returns the psycopg2 module; re-executes the test under Debian's /usr/bin/python3, where
    python3-psycopg2 lives, when this interpreter lacks it."""
    try:
        import psycopg2
        return psycopg2
    except ImportError:
        if os.path.exists("/usr/bin/python3") and os.environ.get("COFRE_REEXEC") != "1":
            os.environ["COFRE_REEXEC"] = "1"
            os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
        raise


def free_ports(n):
    """`n` distinct loopback ports that were free a moment ago (all bound at once, so never the
    same one twice)."""
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


class CofreServer:
    """A `cofre start` process on free loopback ports; stop() sends SIGTERM and waits."""

    def __init__(self, data, certs=None, insecure=False, extra=()):
        self.data = data
        self.certs = certs
        # Ports are free only until another process (tests run in parallel) takes one: a server
        # that could not listen is started again on other ports.
        for attempt in range(3):
            if self.launch(insecure, extra) or attempt == 2:
                return

    def launch(self, insecure, extra):
        """Starts the server; True once both ports answer, False when a port was taken."""
        self.port, self.http_port = free_ports(2)
        args = [COFRE, "start", "--data", self.data, "--listen-addr", f"127.0.0.1:{self.port}",
                "--http-addr", f"127.0.0.1:{self.http_port}"]
        args += ["--insecure"] if insecure else ["--certs-dir", self.certs]
        args += list(extra)
        self.log_path = os.path.join(os.path.dirname(self.data), f"server-{self.port}.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                log = self.read_log()
                self.log.close()
                if "cannot listen" in log:
                    return False
                raise RuntimeError("cofre start exited: " + log)
            # The SQL port is bound before the HTTP one: ready when both answer and the process
            # is still there a moment later (a port another process held answers too, and the
            # server then exits).
            if listening(self.port) and listening(self.http_port):
                time.sleep(0.1)
                if self.proc.poll() is None:
                    return True
                continue
            time.sleep(0.05)
        raise RuntimeError("cofre start did not listen in time: " + self.read_log())

    def read_log(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def url(self, user="root", password=None, database="defaultdb", sslmode="verify-full",
            client_cert=None):
        auth = user if password is None else f"{user}:{password}"
        u = f"postgresql://{auth}@127.0.0.1:{self.port}/{database}?sslmode={sslmode}"
        if self.certs and sslmode != "disable":
            u += f"&sslrootcert={self.certs}/ca.crt"
        if client_cert:
            u += f"&sslcert={self.certs}/client.{client_cert}.crt&sslkey={self.certs}/client.{client_cert}.key"
        return u


def make_certs(base, clients=("root",)):
    certs = os.path.join(base, "certs")
    ca_key = os.path.join(base, "ca.key")
    def run(*a):
        subprocess.run([COFRE, "cert", *a, "--certs-dir", certs, "--ca-key", ca_key], check=True,
                       capture_output=True)
    run("create-ca")
    run("create-node", "localhost", "127.0.0.1")
    for c in clients:
        run("create-client", c)
    return certs, ca_key


def psql(url, *commands, input=None, env=None, check=True):
    args = ["psql", url, "-X", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-q"]
    for c in commands:
        args += ["-c", c]
    full_env = dict(os.environ, PGCONNECT_TIMEOUT="10", **(env or {}))
    p = subprocess.run(args, capture_output=True, text=True, input=input, env=full_env, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError(f"psql failed rc={p.returncode}\nstdout:{p.stdout}\nstderr:{p.stderr}")
    return p


def prometheus_metrics(http_port):
    """/metrics parsed by the Prometheus client library (Debian's python3-prometheus-client, in
    /usr/bin/python3): {sample name + sorted JSON labels: value}."""
    import json
    import urllib.request
    text = urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics").read().decode()
    script = (
        "import sys, json\n"
        "from prometheus_client.parser import text_string_to_metric_families as p\n"
        "out = {}\n"
        "for f in p(sys.stdin.read()):\n"
        "    for s in f.samples:\n"
        "        out[s.name + json.dumps(s.labels, sort_keys=True)] = s.value\n"
        "print(json.dumps(out))\n")
    r = subprocess.run(["/usr/bin/python3", "-c", script], input=text, capture_output=True,
                       text=True, check=True)
    return json.loads(r.stdout)


class ServerTestCase(unittest.TestCase):
    """A TLS server with root and a password user per test class."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="cofre-server-")
        cls.certs, cls.ca_key = make_certs(cls.tmp)
        cls.data = os.path.join(cls.tmp, "data")
        cls.server = CofreServer(cls.data, certs=cls.certs)
        cls.root = cls.server.url(client_cert="root")

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        with open(cls.server.log_path) as f:
            log = f.read()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert rc == 0, f"server exited {rc}: {log}"


def main():
    """unittest.main(), or with COFRE_TEST_SHARD=i/n only the i-th of n shares of the module's
    tests (every n-th test in name order, from the i-th): make test's tsan step runs a long suite
    as shares side by side."""
    shard = os.environ.get("COFRE_TEST_SHARD")
    if not shard:
        unittest.main()
        return
    index, count = (int(x) for x in shard.split("/"))
    if not 0 <= index < count:
        sys.exit(f"COFRE_TEST_SHARD={shard}: want i/n with 0 <= i < n")
    loader = unittest.TestLoader()
    tests = []

    def flatten(suite):
        for t in suite:
            if isinstance(t, unittest.TestSuite):
                flatten(t)
            else:
                tests.append(t)

    flatten(loader.loadTestsFromModule(sys.modules["__main__"]))
    tests.sort(key=lambda t: t.id())
    share = unittest.TestSuite(tests[index::count])
    result = unittest.TextTestRunner(verbosity=1).run(share)
    sys.exit(0 if result.wasSuccessful() else 1)
