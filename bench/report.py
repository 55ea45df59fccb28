#!/usr/bin/env python3
"""Turns the benchmark's results.jsonl into docs/benchmarks.md and results.json.

bench/run.sh writes one JSON object per measured operation:
  {name, group, runs: [seconds...], median, min, max, cpu_seconds,
   peak_rss_kb, output_bytes, logical_bytes, limit}
and machine.json with the machine and dataset facts, and optionally Google
Benchmark's JSON of the micro-benchmarks (cofre_microbench). This script renders them
as a markdown report (machine facts, one table row per operation, the
operations side by side by kind with ratios pair by pair, what bounds each
figure) and as one machine-readable JSON file.
"""

import argparse
import json
import os
import sys

MIB = 1024 * 1024

# Operation kinds compared side by side; a name's kind is its suffix after
# the group ("restic.full" -> "full") unless listed in KIND_OF_NAME.
KINDS = [
    ("full", "Full backup (encrypted unless noted)"),
    ("incremental", "Incremental backup after the ~1% change"),
    ("restore", "Restore"),
]
KIND_OF_NAME = {
    "sqlite3.dump": "full",
    "sqlite3.dump_restore": "restore",
    "limit.pipeline": "full",
    "limit.copy": "restore",
}

# What bounds each operation, by name or by the operation after the group.
NOTES = {
    "limit.read": "page-cache read of the database file (warm cache): memory bandwidth.",
    "limit.copy": "cp of the file: page-cache read plus write of every page.",
    "limit.scan": "bench/scan_limit: SQLite reads every row of every table in key order "
                  "and encodes the length-prefixed row stream; one core.",
    "limit.scan_zstd": "the row stream through zstd -3 on one core; its output is the "
                       "reference size (logical rows compressed).",
    "varied.scan_zstd": "the same on the varied dataset (bench/dataset_varied.h).",
    "varied.cofre_full": "a full backup of the varied dataset (unencrypted).",
    "cofre.incremental": "maps the database's leaf pages, scans the rows of the changed leaves "
                         "and compares them with the data directory's row digest cache "
                         "(nothing read back from the backup); the encrypted chain's key "
                         "unlock (PBKDF2) runs first on one core.",
    "limit.aes_gcm": "openssl speed -evp aes-256-gcm, 16 KiB buffers, one core; shown as the "
                     "time to encrypt the logical row stream.",
    "limit.pipeline": "scan | zstd -3 -T2 | openssl enc -aes-256-ctr: the stages overlap on "
                      "both cores; zstd is the bottleneck, the scan second.",
    "sqlite3.backup": "SQLite online backup API: a page-by-page copy, unencrypted and "
                      "uncompressed.",
    "sqlite3.dump": "sqlite3 .dump renders SQL text (blobs as hex) on one core, then "
                    "zstd -3 and AES-CTR; the dump is the bottleneck.",
    "sqlite3.dump_restore": "replays INSERT statements one by one, then builds the indexes; "
                            "one core.",
    "init": "creates the repository and derives the key from the passphrase.",
    "full": "reads, chunks (content-defined), hashes, compresses and encrypts the whole file.",
    "incremental": "re-reads and re-chunks the whole changed file; 1% of rows spread over "
                   "the file touches most chunks, so most are stored again.",
    "restore": "decrypts, decompresses and writes the file back.",
}


def load(results_path, machine_path):
    with open(results_path) as f:
        results = [json.loads(line) for line in f if line.strip()]
    machine = {}
    if machine_path and os.path.exists(machine_path):
        with open(machine_path) as f:
            machine = json.load(f)
    return results, machine


def kind_of(result):
    name = result["name"]
    return KIND_OF_NAME.get(name, name.split(".", 1)[-1])


def mib(n):
    return "" if n is None else f"{n / MIB:,.1f}"


def num(value, spec):
    return "" if value is None else format(value, spec)


def rss_mib(result):
    return num(None if result.get("peak_rss_kb") is None else result["peak_rss_kb"] / 1024,
               ".1f")


def ratio(a, b):
    if a is None or b in (None, 0):
        return None
    return a / b


def fmt_ratio(r):
    return "" if r is None else f"{r:.2f}x"


def derive(results):
    """Adds the ratios to each operation's limit; returns name -> result."""
    by_name = {r["name"]: r for r in results}
    for r in results:
        limit = by_name.get(r.get("limit") or "")
        r["time_vs_limit"] = ratio(r["median"], limit["median"]) if limit else None
        r["output_vs_limit"] = (
            ratio(r.get("output_bytes"), limit.get("output_bytes")) if limit else None)
        # Throughput means nothing for setup steps such as repository creation.
        r["mb_per_s"] = (r["logical_bytes"] / r["median"] / 1e6
                         if r["median"] and kind_of(r) != "init" else None)
        cpu = r.get("cpu_seconds")
        r["cpu_per_wall"] = ratio(cpu, r["median"]) if cpu is not None else None
    return by_name


def comparisons(results, by_name):
    """Pairs each cofre operation with the peers' operation of the same kind."""
    pairs = []
    peers = [r for r in results if r["group"] not in ("cofre", "limit")]
    for c in (r for r in results if r["group"] == "cofre"):
        for p in peers:
            if kind_of(p) == kind_of(c):
                pairs.append({
                    "cofre": c["name"], "peer": p["name"],
                    "time_ratio": ratio(c["median"], p["median"]),
                    "output_ratio": ratio(c.get("output_bytes"), p.get("output_bytes")),
                })
        limit = by_name.get(c.get("limit") or "")
        if limit:
            pairs.append({
                "cofre": c["name"], "peer": limit["name"],
                "time_ratio": ratio(c["median"], limit["median"]),
                "output_ratio": ratio(c.get("output_bytes"), limit.get("output_bytes")),
            })
    return pairs


def machine_section(machine, by_name):
    lines = ["## Machine and dataset", ""]
    if not machine:
        return lines + ["(no machine.json)", ""]
    lines.append(f"- Date: {machine['date']}")
    lines.append(f"- CPU: {machine['nproc']} x {machine['cpu_model']}; "
                 f"memory {machine['memory_kib'] / MIB:.1f} GiB; kernel {machine['kernel']}")
    lines.append(f"- Load average (1/5/15 min) at start: {machine['loadavg_start']}, "
                 f"at end: {machine['loadavg_end']} (anything above ~0.2 means other work "
                 "shared the cores: treat timings as noisy)")
    lines.append(f"- Dataset: BENCH_SIZE={machine['bench_size']}, SQLite file "
                 f"{mib(machine['db_bytes'])} MiB, logical row stream "
                 f"{mib(machine['logical_bytes'])} MiB, seed {machine['seed']}")
    zstd = by_name.get("limit.scan_zstd")
    if zstd and zstd.get("output_bytes"):
        lines.append(f"- zstd -3 of the logical row stream: {mib(zstd['output_bytes'])} MiB, "
                     f"ratio {machine['logical_bytes'] / zstd['output_bytes']:.2f}x")
    if machine.get("generate_seconds"):
        secs = machine["generate_seconds"]
        lines.append(f"- Generation: {secs:.1f} s ({machine['db_bytes'] / secs / 1e6:.0f} MB/s)")
    lines.append(f"- Runs per operation: {machine['runs']}; page cache warm (the dataset is "
                 "read once before the runs); outputs written to the same local disk")
    if machine.get("note"):
        lines.append(f"- Note: {machine['note']}")
    versions = ", ".join(f"{k} {v}" for k, v in machine.get("versions", {}).items())
    lines.append(f"- Tools: {versions}")
    if machine.get("change_log"):
        lines += ["", "Change script (`cofre_bench_gen --change --fraction 0.01`):", "", "```",
                  machine["change_log"], "```"]
    return lines + [""]


def results_table(results):
    lines = [
        "## Results",
        "",
        "MB/s is the logical row stream size over the median wall time (MB = 10^6 bytes). "
        "CPU is user+sys seconds (median); CPU/wall above 1 means more than one core "
        "worked. The last columns compare with the operation's limit (named in the last "
        "column): time and output size ratios.",
        "",
        "| operation | median s | min-max s | MB/s | CPU s | CPU/wall | peak RSS MiB | "
        "output MiB | time x limit | output x limit | limit |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['name']} | {r['median']:.3f} | {r['min']:.3f}-{r['max']:.3f} | "
            f"{num(r['mb_per_s'], ',.0f')} | {num(r.get('cpu_seconds'), '.2f')} | "
            f"{num(r['cpu_per_wall'], '.2f')} | {rss_mib(r)} | {mib(r.get('output_bytes'))} | "
            f"{fmt_ratio(r['time_vs_limit'])} | {fmt_ratio(r['output_vs_limit'])} | "
            f"{r.get('limit') or ''} |")
    return lines + [""]


def side_by_side(results, by_name, pairs):
    lines = ["## Side by side", ""]
    for kind, title in KINDS:
        rows = [r for r in results if kind_of(r) == kind]
        if not rows:
            continue
        lines += [f"### {title}", "",
                  "| operation | median s | output MiB | output vs full | peak RSS MiB |",
                  "|---|---:|---:|---:|---:|"]
        for r in rows:
            full = by_name.get(f"{r['group']}.full")
            share = ""
            if kind == "incremental" and full:
                share = fmt_ratio(ratio(r.get("output_bytes"), full.get("output_bytes")))
            lines.append(f"| {r['name']} | {r['median']:.3f} | {mib(r.get('output_bytes'))} | "
                         f"{share} | {rss_mib(r)} |")
        lines.append("")
    if pairs:
        lines += ["### cofre pair by pair", "",
                  "| cofre | against | time ratio | output ratio |", "|---|---|---:|---:|"]
        for p in pairs:
            lines.append(f"| {p['cofre']} | {p['peer']} | {fmt_ratio(p['time_ratio'])} | "
                         f"{fmt_ratio(p['output_ratio'])} |")
        lines.append("")
    return lines


def restore_scaling_section(by_name):
    """Suite restore4g: cofre's restore against restic's at 1x and 4x, and the 4x/1x ratios."""
    sizes = [tag for tag in ("1x", "4x") if f"restore4g.cofre_{tag}" in by_name]
    if not sizes:
        return []
    lines = ["## Restore at 1x and 4x the dataset (suite restore4g)", "",
             "Full + one incremental, encrypted, restored by cofre's RESTORE DATABASE and by "
             "`restic restore` in the same run (issue 19: at most 1.5x restic's time; 4x the "
             "data in at most 4.2x the time; CPU/wall at least 1.8; peak RSS under 64 MiB), and "
             "every table restored by RESTORE TABLE into an empty database (at most 1.3x "
             "RESTORE DATABASE). Each restore starts with the dirty pages written and, when the "
             "bench runs as root, the page cache dropped: the backups are read from the disk, "
             "and no restore runs in memory another has just freed.", "",
             "| size | database MiB | cofre s | cofre CPU/wall | cofre RSS MiB | restic s | "
             "cofre / restic | RESTORE TABLE s | table / database |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for tag in sizes:
        c, r = by_name[f"restore4g.cofre_{tag}"], by_name.get(f"restore4g.restic_{tag}")
        t = by_name.get(f"restore4g.cofre_tables_{tag}")
        lines.append(
            f"| {tag} | {mib(c.get('output_bytes'))} | {c['median']:.2f} | "
            f"{num(c['cpu_per_wall'], '.2f')} | {rss_mib(c)} | "
            f"{'' if r is None else format(r['median'], '.2f')} | "
            f"{fmt_ratio(ratio(c['median'], r['median'] if r else None))} | "
            f"{'' if t is None else format(t['median'], '.2f')} | "
            f"{fmt_ratio(ratio(t['median'], c['median']) if t else None)} |")
    if len(sizes) == 2:
        c1, c4 = by_name["restore4g.cofre_1x"], by_name["restore4g.cofre_4x"]
        r1, r4 = by_name.get("restore4g.restic_1x"), by_name.get("restore4g.restic_4x")
        data = ratio(c4.get("output_bytes"), c1.get("output_bytes"))
        lines += ["", f"- Data 4x/1x: {fmt_ratio(data)}; cofre time 4x/1x: "
                  f"{fmt_ratio(ratio(c4['median'], c1['median']))}"
                  + (f"; restic time 4x/1x: {fmt_ratio(ratio(r4['median'], r1['median']))}"
                     if r1 and r4 else "")]
    return lines + [""]


def remote_restore_section(by_name):
    """Restores from S3 and Azure against the same restore from local disk timed right before
    each (bench/run.sh op_cofre_remote_twin): each run's ratio, and their median."""
    lines = []
    for remote, title in (("s3", "S3 (moto_server)"), ("azure", "Azure (Azurite)")):
        r, local = by_name.get(f"cofre.restore_{remote}"), by_name.get(f"cofre.restore_{remote}_local")
        if not r or not local or not r.get("runs") or len(r["runs"]) != len(local["runs"]):
            continue
        ratios = [a / b for a, b in zip(r["runs"], local["runs"]) if b]
        if not ratios:
            continue
        ordered = sorted(ratios)
        n = len(ordered)
        median = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
        if not lines:
            lines = ["## Restore from object storage against local disk", "",
                     "The same full backup restored from object storage on 127.0.0.1 and from a "
                     "local twin of it (same database state and passphrase), the local restore "
                     "timed right before the remote one, run by run (issue 19: S3 within 1.2x). "
                     "Each pair shares the host's speed of the moment.", "",
                     "| from | runs: remote s / local s | ratio per run | median ratio | "
                     "peak RSS MiB |",
                     "|---|---|---|---:|---:|"]
        runs = ", ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(r["runs"], local["runs"]))
        lines.append(f"| {title} | {runs} | {', '.join(f'{x:.2f}x' for x in ratios)} | "
                     f"{median:.2f}x | {rss_mib(r)} |")
    return lines + [""] if lines else []


def notes_section(results):
    lines = ["## What limits each figure", ""]
    for r in results:
        note = NOTES.get(r["name"]) or NOTES.get(r["name"].split(".", 1)[-1])
        if not note:
            continue
        cpw = r["cpu_per_wall"]
        load = "" if cpw is None else f" Measured CPU/wall {cpw:.2f}."
        lines.append(f"- **{r['name']}**: {note}{load}")
    return lines + [""]


def load_micro(path):
    """The micro-benchmarks of cofre_microbench's JSON output, or [] without one."""
    if not path or not os.path.exists(path):
        return []
    with open(path) as f:
        data = json.load(f)
    keep = ("name", "label", "real_time", "cpu_time", "time_unit", "iterations",
            "bytes_per_second", "items_per_second", "ratio", "error_message")
    return [{k: b[k] for k in keep if k in b} for b in data.get("benchmarks", [])
            if b.get("run_type", "iteration") == "iteration"]


def micro_section(micro):
    if not micro:
        return []
    lines = [
        "## Micro-benchmarks",
        "",
        "`cofre_microbench` (Google Benchmark, bench/*_bench.cc) on the rows of a 16 MiB "
        "dataset from the same generator: the hot paths of a backup and a restore, one core "
        "each. MB/s is bytes of logical rows (or plaintext) per second of CPU time, or of wall "
        "time for the zstd compressions (`real_time`: their workers run on other threads); "
        "MB = 10^6 bytes. On a loaded machine wall times exceed CPU times.",
        "",
        "| benchmark | what | time | CPU | MB/s | rows/s | zstd ratio |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for b in micro:
        unit = b.get("time_unit", "ns")
        rate = b.get("bytes_per_second")
        items = b.get("items_per_second")
        lines.append(
            f"| {b['name']} | {b.get('label', '') or b.get('error_message', '')} | "
            f"{b['real_time']:.2f} {unit} | {b['cpu_time']:.2f} {unit} | "
            f"{num(None if rate is None else rate / 1e6, ',.0f')} | "
            f"{num(None if items is None else items / 1e6, '.2f')}{'M' if items else ''} | "
            f"{num(b.get('ratio'), '.2f')} |")
    return lines + [""]


def load_online(path):
    """The writer figures of suite online (one JSON object per line), or []."""
    if not path or not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def output_size_section(by_name):
    """A full backup's output against zstd -3 of the same row stream, on the uniform dataset and
    on the varied one (suite varied: data cofre was not tuned for)."""
    rows = []
    for label, full, ref in (("uniform (the benchmark dataset)", "cofre.full", "limit.scan_zstd"),
                             ("varied (bench/dataset_varied.h)", "varied.cofre_full",
                              "varied.scan_zstd")):
        f, r = by_name.get(full), by_name.get(ref)
        if not f or not r or not f.get("output_bytes") or not r.get("output_bytes"):
            continue
        over = (f["output_bytes"] / r["output_bytes"] - 1) * 100
        rows.append(f"| {label} | {mib(r['output_bytes'])} | {mib(f['output_bytes'])} | "
                    f"{over:+.1f}% | {f['median']:.2f} s |")
    if not rows:
        return []
    return ["## Output size against zstd -3", "",
            "A full backup (unencrypted, whole collection) against `scan | zstd -3` of the same "
            "row stream; the target is at most +3% on any realistic dataset.", "",
            "| dataset | zstd -3 MiB | cofre full MiB | overhead | cofre full time |",
            "|---|---|---|---|---|"] + rows + [""]


def online_section(online, by_name):
    """Writers during a backup (suite online), and the incrementals of the quiet copy."""
    if not online:
        return []
    lines = ["## Online: an application writing during a backup", "",
             "bench/online_writer.py commits back to back (insert a 200-byte row, update a random "
             "one; SQLite defaults, 60 s busy timeout) to a copy of the dataset: alone, then "
             "during a full backup of the file and the second after it (the first checkpoint "
             "after the backup lands there). Medians over the runs.", "",
             "| journal mode | phase | commits/s | p99 latency ms | max latency ms | "
             "largest WAL MiB | backup s |",
             "|---|---|---|---|---|---|---|"]
    groups = {}
    for r in online:
        groups.setdefault((r["mode"], r["phase"]), []).append(r)

    def med(rows, key):
        vals = sorted(v[key] for v in rows if v.get(key) is not None)
        return vals[len(vals) // 2] if vals else None

    for (mode, phase), rows in sorted(groups.items(), key=lambda kv: (kv[0][0] != "wal",
                                                                     kv[0][1] != "alone")):
        backup = by_name.get(f"online.full_{mode}") if phase == "backup" else None
        lines.append(f"| {mode} | {phase} | {num(med(rows, 'commits_per_s'), '.0f')} | "
                     f"{num(med(rows, 'p99_latency_ms'), '.1f')} | "
                     f"{num(med(rows, 'max_latency_ms'), '.1f')} | "
                     f"{mib(med(rows, 'max_wal_bytes'))} | "
                     f"{num(backup['median'], '.2f') if backup else ''} |")
    lines += ["", "| incremental after | median s | output MiB | x full backup time |",
              "|---|---|---|---|"]
    full = by_name.get("online.inc_full")
    for pct, label in (("0", "0% changed"), ("0_01", "0.01% changed"), ("1", "1% changed")):
        r = by_name.get(f"online.incremental_{pct}pct")
        if not r:
            continue
        x = ratio(r["median"], full["median"]) if full else None
        lines.append(f"| {label} | {num(r['median'], '.2f')} | "
                     f"{num((r.get('output_bytes') or 0) / MIB, '.2f')} | {fmt_ratio(x)} |")
    lines.append("")
    return lines


def load_resume(path):
    """The figures of suite resume (bench/resume.py, one JSON object per run), or []."""
    if not path or not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def resume_section(resume):
    """What a pause/resume and a crash-resume of a detached full BACKUP cost."""
    if not resume:
        return []

    def med(key):
        vals = sorted(r[key] for r in resume if r.get(key) is not None)
        return vals[len(vals) // 2] if vals else None

    base = med("uninterrupted_s")
    lines = ["## Interrupted backups: pause/resume and crash-resume", "",
             "bench/resume.py: an encrypted detached full backup of the dataset on `cofre start`, "
             f"interrupted at {100 * resume[0]['fraction']:.0f}% of the uninterrupted time (earlier "
             "when the job had finished by then: the table says where) by PAUSE JOB (then RESUME JOB once paused; the paused interval is not counted) or by a "
             "kill -9 of the server (then a restart: the restart and the runner's pick-up are "
             "counted). The resumed run takes a new snapshot, diffs every finished span against "
             "it and exports the rest (docs/architecture.md §9). Medians over the runs.", "",
             "| backup | interrupted at | median s | extra s over uninterrupted | extra % | "
             "runs of the job |",
             "|---|---:|---:|---:|---:|---:|"]
    lines.append(f"| uninterrupted | | {num(base, '.2f')} | | | 1 |")
    for key, label in (("pause", "paused then resumed"), ("crash", "kill -9 then restart")):
        total, extra = med(f"{key}_resume_s"), med(f"{key}_extra_s")
        pct = ratio(extra, base)
        at = med(f"{key}_fraction")
        lines.append(f"| {label} | {'' if at is None else f'{100 * at:.0f}%'} | "
                     f"{num(total, '.2f')} | {num(extra, '.2f')} | "
                     f"{'' if pct is None else f'{100 * pct:.0f}%'} | {med(f'{key}_runs')} |")
    restart = med("restart_s")
    if restart is not None:
        lines += ["", f"Server restart after the kill (until it listens): {restart:.2f} s."]
    return lines + [""]


def load_pgwire(path):
    if not path or not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def pgwire_section(pgwire):
    """The wire server against PostgreSQL 15 (bench/pgwire.py)."""
    if not pgwire:
        return []
    servers = {s["server"]: s for s in pgwire["servers"]}
    cofre, pg = servers.get("cofre"), servers.get("postgresql-15")
    if not cofre or not pg:
        return []
    lines = ["## Wire server: cofre start against PostgreSQL 15", "",
             f"pgbench `-M prepared`, custom scripts, {pgwire['seconds']} s per point, a "
             f"{pgwire['rows']}-row table, both servers over TLS with SCRAM-SHA-256 passwords, "
             "on this machine (pgbench shares its two cores). Targets (docs/performance.md): point "
             "reads at least PostgreSQL's at 8 and 32 clients; writes within 2x; server RSS under "
             "100 MiB with 100 idle connections.", "",
             "| measure | cofre | PostgreSQL 15 | cofre / PostgreSQL |", "|---|---|---|---|"]
    lines.append(f"| connection + authentication (median) | {cofre['connect_ms']:.1f} ms | "
                 f"{pg['connect_ms']:.1f} ms | {cofre['connect_ms'] / pg['connect_ms']:.2f}x |")
    for kind in ("select", "update"):
        for c in (1, 8, 32):
            k = f"{kind}_tps_{c}"
            lines.append(f"| point {'reads' if kind == 'select' else 'updates'}, {c} clients | "
                         f"{cofre[k]:,.0f} tps | {pg[k]:,.0f} tps | {cofre[k] / pg[k]:.2f}x |")
    if "rss_100_idle_kib" in cofre:
        lines.append(f"| server RSS, 100 idle connections | {cofre['rss_100_idle_kib'] / 1024:.1f} MiB "
                     "| | |")
    return lines + [""]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", required=True, help="results.jsonl from bench/run.sh")
    parser.add_argument("--machine", help="machine.json from bench/run.sh")
    parser.add_argument("--markdown", required=True, help="where to write the report")
    parser.add_argument("--json", required=True, help="where to write results.json")
    parser.add_argument("--micro", help="cofre_microbench JSON (bench/run.sh suite micro)")
    parser.add_argument("--online", help="online.jsonl (bench/run.sh suite online)")
    parser.add_argument("--pgwire", help="pgwire.json (bench/run.sh suite pgwire)")
    parser.add_argument("--resume", help="resume.jsonl (bench/run.sh suite resume)")
    args = parser.parse_args()

    results, machine = load(args.results, args.machine)
    micro = load_micro(args.micro)
    online = load_online(args.online)
    pgwire = load_pgwire(args.pgwire)
    resume = load_resume(args.resume)
    if not results:
        sys.exit(f"error: no results in {args.results}")
    by_name = derive(results)
    pairs = comparisons(results, by_name)

    lines = ["# Benchmarks", "",
             "Written by `make bench` (bench/run.sh, then bench/report.py); do not edit by "
             "hand. Figures from a machine shared with other work are noisy: the load "
             "average below says how quiet it was.", ""]
    lines += machine_section(machine, by_name)
    lines += results_table(results)
    lines += side_by_side(results, by_name, pairs)
    lines += output_size_section(by_name)
    lines += online_section(online, by_name)
    lines += resume_section(resume)
    lines += restore_scaling_section(by_name)
    lines += remote_restore_section(by_name)
    lines += notes_section(results)
    lines += micro_section(micro)
    lines += pgwire_section(pgwire)
    os.makedirs(os.path.dirname(os.path.abspath(args.markdown)), exist_ok=True)
    with open(args.markdown, "w") as f:
        f.write("\n".join(lines))
    with open(args.json, "w") as f:
        json.dump({"machine": machine, "results": results, "comparisons": pairs,
                   "micro": micro, "online": online, "pgwire": pgwire, "resume": resume}, f,
                  indent=2)
        f.write("\n")
    print(f"wrote {args.markdown} and {args.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
