"""Helpers of the crash and fault matrices (crash_test.py, fault_test.py): runs the built cofre
binary under the write_fault LD_PRELOAD shim (tests/tools/write_fault.c), which kills the process
(kill -9) or makes the disk "full" (ENOSPC) after a given number of bytes written to files."""
import concurrent.futures
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from cofre_testlib import COFRE, table_dump

HERE = os.path.dirname(os.path.abspath(__file__))
SHIM_SOURCE = os.path.join(HERE, "tools", "write_fault.c")
_shim_lock = threading.Lock()
_shim_built = None


def write_fault_lib():
    """The shim's path: $COFRE_WRITE_FAULT_LIB (CMake builds it beside the binary), else a copy
    compiled here with cc (for runs against a build that predates the shim's target)."""
    global _shim_built
    lib = os.environ.get("COFRE_WRITE_FAULT_LIB", "")
    if lib and os.path.exists(lib):
        return lib
    candidate = os.path.join(os.path.dirname(os.path.abspath(COFRE)), "tests", "libwrite_fault.so")
    if os.path.exists(candidate):
        return candidate
    with _shim_lock:
        if _shim_built is None:
            out = os.path.join(tempfile.mkdtemp(prefix="cofre-shim-"), "libwrite_fault.so")
            subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", out, SHIM_SOURCE, "-ldl"],
                           check=True)
            _shim_built = out
        return _shim_built


def shim_env(kill_after=None, enospc_after=None, prefix=None, report=None, extra=None):
    """The environment of a cofre run under the shim (fsync elided: a process crash keeps the
    page cache, and a matrix of hundreds of runs must stay fast)."""
    env = dict(os.environ)
    env["LD_PRELOAD"] = write_fault_lib()
    env["WRITE_FAULT_NO_FSYNC"] = "1"
    # A sanitized build refuses a preloaded library ahead of its runtime unless told otherwise.
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0").lstrip(":")
    for k in ("WRITE_FAULT_KILL_AFTER", "WRITE_FAULT_ENOSPC_AFTER", "WRITE_FAULT_PATH_PREFIX",
              "WRITE_FAULT_REPORT"):
        env.pop(k, None)
    if kill_after is not None:
        env["WRITE_FAULT_KILL_AFTER"] = str(kill_after)
    if enospc_after is not None:
        env["WRITE_FAULT_ENOSPC_AFTER"] = str(enospc_after)
    if prefix:
        env["WRITE_FAULT_PATH_PREFIX"] = prefix
    if report:
        env["WRITE_FAULT_REPORT"] = report
    env.update(extra or {})
    return env


class Run:
    """One finished cofre invocation: rc (-9 when killed), stdout, stderr, and its JSON result
    sets (with --format json)."""

    def __init__(self, proc):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    @property
    def killed(self):
        return self.rc == -9

    def results(self):
        return [json.loads(l) for l in self.stdout.splitlines() if l.strip().startswith("[")]

    def __repr__(self):
        return f"rc={self.rc}\nstdout:\n{self.stdout[-3000:]}\nstderr:\n{self.stderr[-3000:]}"


def cofre(data, *stmts, env=None, fmt="json", timeout=300):
    args = [COFRE, "sql", "--data", data, "--format", fmt]
    for s in stmts:
        args += ["-e", s]
    return Run(subprocess.run(args, capture_output=True, text=True, env=env or shim_env(),
                              timeout=timeout))


def measure_bytes(data, stmt, prefix=None, extra=None):
    """Bytes a statement writes to files (under `prefix` when given), running it on `data`."""
    fd, report = tempfile.mkstemp(prefix="cofre-bytes-")
    os.close(fd)
    try:
        r = cofre(data, stmt, env=shim_env(prefix=prefix, report=report, extra=extra))
        if r.rc != 0:
            raise AssertionError("measuring run failed: %r" % r)
        with open(report) as f:
            return int(f.read().strip())
    finally:
        os.unlink(report)


def spread_points(total, n, margin=4096):
    """`n` byte offsets over 1..total: very early and very late ones, the rest evenly spread."""
    fixed = [1, 100, margin + 1, total - margin, total - 100, total - 1]
    fixed = [p for p in fixed if 0 < p < total]
    k = max(0, n - len(fixed))
    lo, hi = min(2 * margin, total // 4), max(total - 2 * margin, total * 3 // 4)
    middle = [lo + (hi - lo) * (i + 1) // (k + 1) for i in range(k)]
    return sorted(set(fixed + middle))


def parallel(fn, items, workers=2):
    """fn(item) for every item on a small thread pool (each item works in its own directory)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))


def copy_tree(src, dst):
    shutil.copytree(src, dst, symlinks=True)


def tree_digest(root):
    """{relative path: sha256} of every file under root (to prove a tree unchanged)."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def catalog(data):
    """{database name: file path} from the data directory's system database."""
    con = sqlite3.connect(os.path.join(data, "system.sqlite"))
    try:
        return dict(con.execute("SELECT name, path FROM databases").fetchall())
    finally:
        con.close()


def orphan_database_files(data):
    """Files in <data>/databases that the catalog does not name (staging files, torn restores)."""
    live = {os.path.basename(p) for p in catalog(data).values()}
    out = []
    for f in os.listdir(os.path.join(data, "databases")):
        base = f
        for suffix in ("-wal", "-shm", "-journal"):
            if base.endswith(suffix):
                base = base[: -len(suffix)]
        if base not in live:
            out.append(f)
    return out


def dump_db(path, tables):
    return {t: table_dump(path, t) for t in tables}


def unfinished_dirs(collection_root):
    """Backup layer directories (holding data/ or ENCRYPTION-INFO) without a BACKUP_MANIFEST."""
    out = []
    for dirpath, dirs, files in os.walk(collection_root):
        started = "data" in dirs or "ENCRYPTION-INFO" in files
        if started and "BACKUP_MANIFEST" not in files:
            out.append(os.path.relpath(dirpath, collection_root))
    return sorted(out)


def lock_files(root):
    """BACKUP-LOCK notes under root (a committed backup deletes its own)."""
    out = []
    for dirpath, _, files in os.walk(root):
        out += [os.path.join(dirpath, f) for f in files if f == "BACKUP-LOCK"]
    return sorted(out)


def start_cofre(data, *stmts, env=None, fmt="json"):
    """Starts cofre in the background (a subprocess.Popen with text pipes)."""
    args = [COFRE, "sql", "--data", data, "--format", fmt]
    for s in stmts:
        args += ["-e", s]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env or shim_env())


def wait_for_lock(collection_root, exclude=(), proc=None, timeout=60):
    """The layer directory (absolute path) whose BACKUP-LOCK appears first under
    collection_root, outside the directories `exclude` (relative); polls every 2 ms."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for dirpath, _, files in os.walk(collection_root):
            rel = os.path.relpath(dirpath, collection_root)
            if "BACKUP-LOCK" in files and rel not in exclude:
                return dirpath
        if proc is not None and proc.poll() is not None:
            raise AssertionError("cofre ended before its lock appeared: %r" %
                                 (proc.communicate(),))
        time.sleep(0.002)
    raise AssertionError("no BACKUP-LOCK appeared under " + collection_root)


def temp_files(root):
    """Temp files of unpublished writes (LocalStorage's '.tmp-' names) under root."""
    out = []
    for dirpath, _, files in os.walk(root):
        out += [os.path.join(dirpath, f) for f in files if ".tmp-" in f]
    return out


class FaultProxy:
    """tests/tools/fault_proxy.py in front of an HTTP storage server (moto, Azurite)."""

    def __init__(self, upstream):
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "tools", "fault_proxy.py"), "--upstream", upstream],
            stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        assert line.startswith("PORT "), line
        self.endpoint = "http://127.0.0.1:" + line.split()[1]

    def configure(self, query):
        req = urllib.request.Request(self.endpoint + "/__fault__/config?" + query, method="POST",
                                     data=b"")
        urllib.request.urlopen(req, timeout=10).read()

    def stats(self):
        with urllib.request.urlopen(self.endpoint + "/__fault__/stats", timeout=10) as r:
            return json.loads(r.read())

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
