"""Deterministic random SQLite schemas and values for round-trip tests (no cofre code here)."""
import math
import random
import sqlite3
import struct

TYPES = ["INTEGER", "TEXT", "REAL", "BLOB", "NUMERIC", ""]


def rand_value(rng, decl):
    k = rng.random()
    if k < 0.1:
        return None
    kind = rng.choice(["int", "real", "text", "blob"]) if decl in ("", "NUMERIC") else \
        {"INTEGER": "int", "TEXT": "text", "REAL": "real", "BLOB": "blob"}[decl]
    if kind == "int":
        return rng.choice([0, 1, -1, 2**63 - 1, -2**63, rng.randint(-10**12, 10**12)])
    if kind == "real":
        special = [0.0, -0.0, math.inf, -math.inf, 5e-324, 1.7976931348623157e308, 0.1 + 0.2]
        if rng.random() < 0.3:
            return rng.choice(special)
        return struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64) & ~(0x7FF << 52) | (rng.randint(1, 2000) << 52)))[0]
    if kind == "text":
        alphabet = "abcxyz ÄÖü€漢字🙂'\";\n\t"
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
    return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64)))


def make_db(path, seed, big_blob=False):
    """Creates a database with random tables, indexes, views and triggers. Returns table names."""
    rng = random.Random(seed)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    tables = []
    for ti in range(rng.randint(2, 5)):
        name = f"t{ti}_{rng.choice(['a', 'Mixed', 'sp ace'])}"
        ncols = rng.randint(1, 6)
        cols = [(f"c{i}", rng.choice(TYPES)) for i in range(ncols)]
        style = rng.choice(["rowid", "ipk", "autoinc", "without_rowid"])
        defs = []
        if style == "ipk":
            defs.append("id INTEGER PRIMARY KEY")
        elif style == "autoinc":
            defs.append("id INTEGER PRIMARY KEY AUTOINCREMENT")
        elif style == "without_rowid":
            defs.append("k1 TEXT NOT NULL")
            defs.append("k2 INTEGER NOT NULL")
        for c, t in cols:
            d = f'"{c}" {t}'
            if rng.random() < 0.2:
                d += " DEFAULT 7"
            defs.append(d)
        if rng.random() < 0.3 and cols[0][1] in ("INTEGER", "REAL"):
            defs.append(f'"gen" INTEGER GENERATED ALWAYS AS (coalesce("{cols[0][0]}", 0) + 1) VIRTUAL')
        if rng.random() < 0.3:
            defs.append(f'CHECK (length("{cols[0][0]}") < 100000 OR "{cols[0][0]}" IS NULL)')
        if style == "without_rowid":
            defs.append("PRIMARY KEY (k2, k1)")
        sql = f'CREATE TABLE "{name}" ({", ".join(defs)})'
        if style == "without_rowid":
            sql += " WITHOUT ROWID"
        con.execute(sql)
        nrows = rng.randint(0, 300)
        used = set()
        for r in range(nrows):
            vals = [rand_value(rng, t) for _, t in cols]
            names = [f'"{c}"' for c, _ in cols]
            if style == "without_rowid":
                k = (rng.choice(["a", "b", "Ä", ""]), rng.randint(-1000, 1000))
                if k in used:
                    continue
                used.add(k)
                vals = list(k) + vals
                names = ["k1", "k2"] + names
            elif style == "rowid" and rng.random() < 0.5:
                rid = rng.randint(-2**40, 2**40)
                if rid in used:
                    continue
                used.add(rid)
                vals = [rid] + vals
                names = ["rowid"] + names
            con.execute(f'INSERT INTO "{name}" ({", ".join(names)}) VALUES ({", ".join("?" * len(vals))})', vals)
        if style == "autoinc":
            con.execute(f'DELETE FROM "{name}" WHERE id % 3 = 0')
        if rng.random() < 0.7:
            con.execute(f'CREATE INDEX "idx_{ti}" ON "{name}" ("{cols[-1][0]}")')
        if rng.random() < 0.4:
            con.execute(f'CREATE INDEX "pidx_{ti}" ON "{name}" ("{cols[0][0]}") WHERE "{cols[0][0]}" IS NOT NULL')
        if rng.random() < 0.3:
            con.execute(f'CREATE INDEX "eidx_{ti}" ON "{name}" (typeof("{cols[0][0]}"))')
        if rng.random() < 0.5:
            con.execute(f'CREATE VIEW "v_{ti}" AS SELECT count(*) AS n FROM "{name}"')
        if rng.random() < 0.4:
            con.execute(f'CREATE TABLE IF NOT EXISTS audit (msg TEXT)')
            con.execute(f'CREATE TRIGGER "trg_{ti}" AFTER INSERT ON "{name}" BEGIN INSERT INTO audit VALUES (\'ins\'); END')
        tables.append(name)
    if big_blob:
        con.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, payload BLOB, note TEXT)")
        blob = bytes(random.Random(seed).getrandbits(8) for _ in range(1 << 16)) * 300  # ~19 MiB
        con.execute("INSERT INTO big VALUES (1, ?, ?)", (blob, "x" * (12 << 20)))
        tables.append("big")
    con.execute("PRAGMA user_version = %d" % rng.randint(0, 1000))
    con.commit()
    con.close()
    return tables
