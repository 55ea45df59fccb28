#!/usr/bin/env python3
"""Writes the seed corpora of the backup, ENCRYPTION-INFO and URI fuzz targets.

  fuzz/corpus/manifest/         src/backup/manifest_fuzz.cc
  fuzz/corpus/data_file/        src/backup/data_file_fuzz.cc
  fuzz/corpus/encryption_info/  src/crypto/encryption_info_fuzz.cc
  fuzz/corpus/restore_plan/     src/backup/restore_plan_fuzz.cc (no flags byte: a protobuf)
(fuzz/corpus/pg_message/ is hand-made: a decoder byte, then a frontend message body)

Each seed is a flags byte (see the target's header comment) and a body. Bodies come from the
golden backups (tests/testdata/golden/*, written by cofre 0.1.0), the crypto known-answer vectors
(tests/testdata/crypto/) and hand-made edge cases built here. fuzz/corpus/uri/ is hand-written.
Seeds named regression_* are inputs that once crashed a target: this script never removes them.

Run: python3 fuzz/make_seeds.py   (deterministic; needs the zstd CLI and python3-cryptography)
"""
import glob
import hashlib
import importlib.util
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
GOLDEN = os.path.join(ROOT, "tests", "testdata", "golden")

spec = importlib.util.spec_from_file_location(
    "gen_kat", os.path.join(ROOT, "tests", "testdata", "crypto", "gen_kat.py"))
kat = importlib.util.module_from_spec(spec)
spec.loader.exec_module(kat)
varint, field_varint, field_bytes = kat.varint, kat.field_varint, kat.field_bytes


def write(target, name, flags, body):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(bytes([flags]) + body)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def golden(kind, pattern):
    return sorted(glob.glob(os.path.join(GOLDEN, kind, "collection", "*", "*", "*", pattern)))


# --- manifest: flags bit 0 encrypted, bit 1 framed (body = protobuf only) ---
def manifests():
    plain = read(golden("plain-v1", "BACKUP_MANIFEST")[0])
    proto = plain[4:-32]
    write("manifest", "golden_plain", 0, plain)
    write("manifest", "golden_plain_framed", 2, proto)
    write("manifest", "golden_plain_encrypted", 1, plain)
    write("manifest", "golden_framed_encrypted", 3, proto)
    # The golden encrypted manifest, as stored: not a plaintext manifest.
    write("manifest", "golden_ciphertext", 0, read(golden("passphrase-v1", "BACKUP_MANIFEST")[0]))
    write("manifest", "empty_framed", 2, b"")
    write("manifest", "newer_format", 2, field_varint(1, 99) + field_bytes(4, b"x/y"))
    incremental = (field_varint(1, 1) + field_bytes(3, b"2026/11/28-170600.41") +
                   field_bytes(4, b"incrementals/2026/11/28-170600.41/20261128/171000.00") +
                   field_varint(5, 1) + field_varint(6, 2) + field_varint(7, 1795889160410000) +
                   field_varint(8, (1 << 64) - 1))  # end time -1
    write("manifest", "incremental_negative_time", 2, incremental)
    write("manifest", "truncated", 0, plain[:40])


# --- data files: flags bit 0 encrypted, bit 1 framed (body = decompressed records) ---
def row(key, values, kind=1):
    body = bytes([kind]) + varint(len(key)) + b"".join(key)
    if kind == 1:
        body += varint(len(values)) + b"".join(values)
    return varint(len(body)) + body


def end(count):
    body = b"\x7f" + varint(count)
    return varint(len(body)) + body


def integer(v):
    return b"\x01" + varint(((v << 1) ^ (v >> 63)) & ((1 << 64) - 1))


def text(b):
    return b"\x03" + varint(len(b)) + b


def blob(b):
    return b"\x04" + varint(len(b)) + b


REAL_NAN = b"\x02" + bytes.fromhex("000000000000f87f")
REAL_PI = b"\x02" + bytes.fromhex("182d4454fb210940")


def data_files():
    for i, path in enumerate(golden("plain-v1", "data/*.cfd")[:3]):
        raw = read(path)
        write("data_file", f"golden_{i}", 0, raw)
        records = subprocess.run(["zstd", "-d", "-c"], input=raw[4:], check=True,
                                 capture_output=True).stdout
        write("data_file", f"golden_{i}_framed", 2, records)
        if i == 0:
            write("data_file", "golden_0_encrypted", 1, raw)
    every_type = (row([integer(1)], [integer(1), text(b"Ada"), REAL_PI, blob(b"\x00\xff"), b"\x00"]) +
                  row([integer(-(1 << 63))], [REAL_NAN, text(b"\xc3\x28 bad utf8"), blob(b"")]) +
                  row([text(b"k"), integer(2)], [], kind=2) + end(3))
    write("data_file", "every_type_framed", 2, every_type)
    write("data_file", "every_type_encrypted", 3, every_type)
    write("data_file", "empty_file_framed", 2, end(0))
    write("data_file", "wrong_count_framed", 2, row([integer(5)], [integer(5)]) + end(7))
    write("data_file", "wrong_size", 6, every_type)


# --- ENCRYPTION-INFO: flags bit 0 appends the trailing checksum field ---
def encryption_infos():
    write("encryption_info", "golden_passphrase", 0,
          read(golden("passphrase-v1", "ENCRYPTION-INFO")[0]))
    crypto = os.path.join(ROOT, "tests", "testdata", "crypto")
    for name in ("encryption_info_v1.bin", "encryption_info_v2.bin"):
        if os.path.exists(os.path.join(crypto, name)):
            write("encryption_info", "kat_" + name[:-4], 0, read(os.path.join(crypto, name)))
    # Cheap to unlock: must match kPassphrase and the KMS data key in encryption_info_fuzz.cc.
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    passphrase, iterations = b"fuzz-passphrase", 1000
    chain_id, data_key = bytes(range(16)), b"\x42" * 32
    salt, nonce = b"\x5a" * 16, bytes(range(12))
    kek = hashlib.pbkdf2_hmac("sha256", passphrase, salt, iterations, 32)
    wrapped = nonce + AESGCM(kek).encrypt(nonce, data_key, b"cofre-dk-wrap-v1" + chain_id)
    key_check = kat.hkdf(data_key, chain_id, b"cofre-key-check-v1", 16)
    entry = field_varint(1, 1) + field_varint(2, iterations) + field_bytes(3, salt) + field_bytes(4, wrapped)
    kms = (field_bytes(1, hashlib.sha256(b"arn:aws:kms:us-east-1:000000000000:key/k1").hexdigest().encode()) +
           field_bytes(2, b"aws") + field_bytes(3, b"blob"))

    def info(version, entries):
        return (field_varint(1, version) + field_bytes(2, chain_id) + field_varint(3, 1) +
                b"".join(field_bytes(4, e) for e in entries) + field_bytes(5, key_check))
    write("encryption_info", "cheap_v1", 0, info(1, [field_bytes(1, entry), field_bytes(2, kms)]))
    write("encryption_info", "cheap_v2", 1, info(2, [field_bytes(1, entry), field_bytes(2, kms)]))
    write("encryption_info", "kms_only_v2", 1, info(2, [field_bytes(2, kms)]))
    # Format 3 (cofre 0.4): the key check binds the format; the same bytes as format 2 must fail.
    check3 = kat.hkdf(data_key, chain_id, b"cofre-key-check-v3", 16)
    info3 = (field_varint(1, 3) + field_bytes(2, chain_id) + field_varint(3, 1) +
             field_bytes(4, field_bytes(1, entry)) + field_bytes(5, check3))
    write("encryption_info", "cheap_v3", 1, info3)
    write("encryption_info", "v3_downgraded_to_v2", 1, field_varint(1, 2) + info3[2:])
    write("encryption_info", "empty", 0, b"")


# --- restore_plan: a BackupManifest protobuf (no flags byte, no framing) ---
def restore_plans():
    def put(name, body):
        d = os.path.join(CORPUS, "restore_plan")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name), "wb") as f:
            f.write(body)

    for kind in ("plain-v1", "plain-v2"):
        put("golden_" + kind.replace("-", "_"), read(golden(kind, "BACKUP_MANIFEST")[0])[4:-32])

    def table(name, sql, columns, without_rowid=False):
        cols = b"".join(field_bytes(4, field_bytes(1, c.encode()) + field_varint(2, k))
                        for c, k in columns)
        return field_bytes(1, name.encode()) + field_bytes(2, sql.encode()) + \
            field_varint(3, int(without_rowid)) + cols

    def obj(kind, name, tbl, sql):
        return (field_bytes(1, kind.encode()) + field_bytes(2, name.encode()) +
                field_bytes(3, tbl.encode()) + field_bytes(4, sql.encode()))

    def manifest(tables, objects):
        db = field_bytes(1, b"d") + b"".join(field_bytes(2, t) for t in tables) + \
            b"".join(field_bytes(3, o) for o in objects) + field_varint(4, 4096)
        return field_varint(1, 1) + field_bytes(10, db)

    t = table("t", "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT UNIQUE, c AS (b || 'x'))",
              [("a", 0), ("b", 0)])
    k = table("k", "CREATE TABLE k(x TEXT, y INT, PRIMARY KEY (x, y)) WITHOUT ROWID",
              [("x", 1), ("y", 2)], without_rowid=True)
    good = [obj("index", "t_b", "t", "CREATE INDEX t_b ON t(b COLLATE NOCASE DESC)"),
            obj("index", "t_expr", "t", "CREATE INDEX t_expr ON t(lower(b)) WHERE a > 0"),
            obj("view", "v", "v", "CREATE VIEW v AS SELECT * FROM t JOIN k"),
            obj("trigger", "tr", "t", "CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM k; END")]
    put("schema", manifest([t, k], good))
    attacks = {
        "attach": [table("t", "CREATE TABLE t(a); ATTACH DATABASE '/tmp/x' AS p; CREATE TABLE p.x(a)",
                         [("a", 0)])],
        "comment_hides_statement": [table("t", "CREATE TABLE t(a) /* x */; -- y\nDROP TABLE k",
                                          [("a", 0)]), k],
        "wrong_name": [table("t", "CREATE TABLE k(a)", [("a", 0)])],
        "as_select": [k, table("t", "CREATE TABLE t AS SELECT * FROM k", [("x", 0)])],
        "vacuum_into": [table("t", "VACUUM INTO '/tmp/x'", [])],
    }
    for name, tables in attacks.items():
        put("attack_" + name, manifest(tables, []))
    put("attack_objects", manifest([t, k], [
        obj("index", "t_b", "t", "CREATE TRIGGER t_b AFTER UPDATE ON k BEGIN DELETE FROM k; END"),
        obj("view", "v", "v", "CREATE VIEW v AS SELECT * FROM p.x"),
        obj("trigger", "tr", "t", "CREATE TRIGGER tr AFTER INSERT ON t BEGIN ATTACH 'x' AS p; END"),
        obj("table", "z", "z", "CREATE TABLE z(a)")]))


if __name__ == "__main__":
    restore_plans()
    manifests()
    data_files()
    encryption_infos()
