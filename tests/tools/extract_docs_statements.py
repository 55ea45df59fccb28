#!/usr/bin/env python3
"""Extracts the backup, restore, job, schedule and external-connection statements from the
copies of CockroachDB's documentation pages in tests/testdata/crdb-docs/ and rewrites their
storage and KMS URIs to ones a test can reach.

    extract_docs_statements.py [--docs DIR] [--storage-root URI] [--kms URI] [--json]

Each statement is found in a `~~~ sql` (or ```sql) code block, with the `> ` prompt removed,
and ends at `;`. Placeholders ({bucket name}, {job_id}) stay; the test fills them in. Cloud
storage URIs (s3://, gs://, azure://, azure-blob://, http(s)://, nodelocal://, userfile://)
become `<storage-root>/<bucket>/<path>`, keeping COCKROACH_LOCALITY; KMS URIs
(aws:///, aws-kms://, gs:///, azure-kms://) become the --kms URIs when given (a comma-separated
list: the n-th KMS URI of a statement becomes the n-th, cycling).
Printed one statement per record, separated by a NUL byte (or a JSON list with --json, each
{"page", "original", "sql"}).
"""
import argparse
import json
import os
import re
import sys

DOCS = os.path.join(os.path.dirname(__file__), "..", "testdata", "crdb-docs")

# The statements this corpus covers, by their leading words (after an optional `WITH x AS (`).
LEADING = re.compile(
    r"""^(BACKUP|RESTORE|SHOW\s+BACKUPS?|SHOW\s+JOBS?|SHOW\s+AUTOMATIC\s+JOBS|
          (PAUSE|RESUME|CANCEL)\s+(ALL\s+)?JOBS?|
          (CREATE|SHOW|ALTER|DROP|PAUSE|RESUME)\s+SCHEDULES?|SHOW\s+CREATE\s+(ALL\s+)?SCHEDULES?|
          SHOW\s+CREATE\s+(ALL\s+)?EXTERNAL\s+CONNECTIONS?|
          ALTER\s+BACKUP|(CREATE|SHOW|DROP)\s+EXTERNAL\s+CONNECTIONS?|
          GRANT\s+USAGE\s+ON\s+EXTERNAL|GRANT\s+SYSTEM\s+EXTERNALCONNECTION|
          WITH\s+\w+\s+AS\s+\(\s*SHOW|SELECT\b.*\bFROM\s+\[\s*SHOW)""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL)

BLOCK = re.compile(r"^[ \t]*(~~~|```)[ \t]*sql[ \t]*$(.*?)^[ \t]*(~~~|```)[ \t]*$", re.MULTILINE | re.DOTALL | re.IGNORECASE)
STORAGE_SCHEMES = ("s3", "gs", "azure", "azure-blob", "azure-storage", "http", "https", "nodelocal",
                   "userfile", "external")
KMS_SCHEMES = ("aws", "aws-kms", "gs", "gcp-kms", "azure-kms")
LITERAL = re.compile(r"'((?:[^']|'')*)'")


def split_statements(block):
    """Splits a code block into statements at `;` outside string literals."""
    lines = []
    for line in block.splitlines():
        stripped = line.strip()
        if stripped.startswith(">"):
            stripped = stripped[1:].strip()
        if stripped.startswith("--"):
            continue
        lines.append(stripped)
    text = "\n".join(lines)
    out, cur, quote = [], [], False
    for ch in text:
        cur.append(ch)
        if ch == "'":
            quote = not quote
        elif ch == ";" and not quote:
            out.append("".join(cur).strip())
            cur = []
    rest = "".join(cur).strip()
    if rest:
        out.append(rest + ";")
    return [re.sub(r"\s+", " ", s) for s in out if s.strip(" ;")]


def rewrite_uri(uri, storage_root, kms, is_kms):
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):///?([^?]*)(\?(.*))?$", uri)
    if not m:
        return uri
    scheme, path, query = m.group(1).lower(), m.group(2), m.group(4) or ""
    if is_kms:
        return kms if kms else uri
    if scheme == "external":
        return uri
    if scheme not in STORAGE_SCHEMES:
        return uri
    if scheme == "nodelocal" and "/" in path:
        path = path.split("/", 1)[1]  # drop the node id
    path = re.sub(r"[{}]", "", path).replace(" ", "-").strip("/") or "root"
    keep = [kv for kv in query.split("&") if kv.upper().startswith("COCKROACH_LOCALITY=")]
    out = storage_root.rstrip("/") + "/" + path
    return out + ("?" + "&".join(keep) if keep else "")


def rewrite(sql, storage_root, kms):
    kms_list = kms.split(",") if kms else []
    seen_kms = []

    def repl(m):
        value = m.group(1)
        prefix = sql[:m.start()].lower()
        looks_kms = bool(re.search(r"kms\s*=\s*\(?\s*('[^']*'\s*,\s*)*$", prefix))
        scheme = value.split(":", 1)[0].lower() if ":" in value else ""
        if "://" not in value:
            return m.group(0)
        if looks_kms or (scheme in ("aws-kms", "gcp-kms", "azure-kms") or value.startswith("aws:///")):
            seen_kms.append(value)
            chosen = kms_list[(len(seen_kms) - 1) % len(kms_list)] if kms_list else None
            return "'" + rewrite_uri(value, storage_root, chosen, True) + "'"
        return "'" + rewrite_uri(value, storage_root, kms, False) + "'"
    return LITERAL.sub(repl, sql)


def extract(docs=DOCS, storage_root="nodelocal://1/docs", kms=None):
    out = []
    for name in sorted(os.listdir(docs)):
        if not name.endswith(".md"):
            continue
        with open(os.path.join(docs, name), encoding="utf-8") as f:
            page = f.read()
        for block in BLOCK.finditer(page):
            for stmt in split_statements(block.group(2)):
                if LEADING.match(stmt) and "..." not in stmt:  # not prose fragments
                    out.append({"page": name, "original": stmt, "sql": rewrite(stmt, storage_root, kms)})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", default=DOCS)
    ap.add_argument("--storage-root", default="nodelocal://1/docs")
    ap.add_argument("--kms", default=None)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    stmts = extract(args.docs, args.storage_root, args.kms)
    if args.json:
        json.dump(stmts, sys.stdout, indent=1)
        print()
    else:
        sys.stdout.write("".join(s["sql"] + "\0" for s in stmts))


if __name__ == "__main__":
    main()
