#!/usr/bin/env bash
# bench/rss_encryption.sh: time, throughput and peak memory of full BACKUP and RESTORE, with and
# without encryption_passphrase, on one SQLite database of BENCH_SIZE (issue 3).
#
# Not a test: it measures and reports. Each operation is one `cofre sql` process run under
# /usr/bin/time -v; its "Maximum resident set size" is the peak RSS of the whole process. Results
# go to stdout as a markdown table and are appended to docs/encryption.md (BENCH_REPORT=0: not).
#
# Environment:
#   BENCH_SIZE    database size, bytes or 512M / 1G forms             (default 1G)
#   BUILD_DIR     CMake build directory holding cofre                   (default build)
#   COFRE_BIN     the cofre binary                                      (default $BUILD_DIR/cofre)
#   BENCH_DIR     scratch directory (removed at the end unless KEEP=1)  (default $BUILD_DIR/bench-enc)
#   BENCH_GEN     sqlite3 | bench_gen: how to make the database         (default sqlite3)
#                 sqlite3: one table, integer keys, text and blob columns compressing ~3x;
#                 bench_gen: $BUILD_DIR/cofre_bench_gen's multi-table shop dataset (issue 7).
#   BENCH_RUNS    runs of each operation; the table shows the fastest run's wall and CPU time and
#                 the largest peak RSS of all runs                       (default 1)
#   BENCH_REPORT  0 to skip appending to docs/encryption.md
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_SIZE=${BENCH_SIZE:-1G}
BUILD_DIR=$(realpath -m "${BUILD_DIR:-$ROOT/build}")
COFRE_BIN=$(realpath -m "${COFRE_BIN:-$BUILD_DIR/cofre}")
BENCH_DIR=$(realpath -m "${BENCH_DIR:-$BUILD_DIR/bench-enc}")
BENCH_GEN=${BENCH_GEN:-sqlite3}
BENCH_REPORT=${BENCH_REPORT:-1}
BENCH_RUNS=${BENCH_RUNS:-1}
PASSPHRASE='bench passphrase'

log() { printf '[rss_encryption %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

to_bytes() {
  local v=$1 n unit
  [[ $v =~ ^([0-9]+)([KMGkmg]?)$ ]] || die "BENCH_SIZE must be bytes or NK/NM/NG, got $v"
  n=${BASH_REMATCH[1]}; unit=${BASH_REMATCH[2]^^}
  case $unit in
    K) echo $((n << 10)) ;; M) echo $((n << 20)) ;; G) echo $((n << 30)) ;; *) echo "$n" ;;
  esac
}

[[ -x $COFRE_BIN ]] || die "no cofre binary at $COFRE_BIN (build it, or set COFRE_BIN)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (apt-get install time)"
TARGET=$(to_bytes "$BENCH_SIZE")

rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR/logs"
trap '[[ ${KEEP:-0} == 1 ]] || rm -rf "$BENCH_DIR"' EXIT
SRC_DB=$BENCH_DIR/source.db
DATA=$BENCH_DIR/data

# ------------------------------------------------------------------------------ dataset ----

# One table: id INTEGER PRIMARY KEY; name, a short formatted text; note, 48 random hex digits
# (compresses ~2x); payload, 24 random bytes then 168 zero bytes (compresses ~7x). A row takes
# ~300 bytes in SQLite and ~75 bytes in a backup (cofre 0.1 also wrote ~20 bytes of row digest).
generate_sqlite3() {
  command -v sqlite3 >/dev/null || die "sqlite3 is missing (apt-get install sqlite3)"
  local rows_per_batch=500000 start=0 size=0
  sqlite3 "$SRC_DB" "PRAGMA page_size = 4096; PRAGMA journal_mode = OFF;
    CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT, payload BLOB);" >/dev/null
  while ((size < TARGET)); do
    local remaining=$(( (TARGET - size) / 290 + 1 ))
    local n=$(( remaining < rows_per_batch ? remaining : rows_per_batch ))
    sqlite3 "$SRC_DB" "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
      WITH RECURSIVE c(x) AS (SELECT $start + 1 UNION ALL SELECT x + 1 FROM c WHERE x < $start + $n)
      INSERT INTO accounts SELECT x, printf('account-%010d', x), hex(randomblob(24)),
                                  randomblob(24) || zeroblob(168) FROM c;" >/dev/null
    start=$((start + n))
    size=$(stat -c %s "$SRC_DB")
    log "generated $start rows, $((size >> 20)) MiB"
  done
  ROWS=$start
}

generate_bench_gen() {
  local gen=$BUILD_DIR/cofre_bench_gen
  [[ -x $gen ]] || die "no $gen; build it (ninja -C $BUILD_DIR cofre_bench_gen) or use BENCH_GEN=sqlite3"
  "$gen" --out "$SRC_DB" --size "$TARGET" >&2
  sqlite3 "$SRC_DB" "PRAGMA journal_mode = DELETE" >/dev/null
  ROWS=$(sqlite3 "$SRC_DB" "SELECT sum(n) FROM (SELECT 0 AS n $(sqlite3 "$SRC_DB" \
    "SELECT group_concat('UNION ALL SELECT count(*) FROM \"' || name || '\"', ' ') FROM sqlite_schema
     WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))")
}

log "generating a ${BENCH_SIZE} database with $BENCH_GEN"
t0=$(date +%s.%N)
case $BENCH_GEN in
  sqlite3) generate_sqlite3 ;;
  bench_gen) generate_bench_gen ;;
  *) die "BENCH_GEN must be sqlite3 or bench_gen" ;;
esac
DB_BYTES=$(stat -c %s "$SRC_DB")
log "database: $DB_BYTES bytes, $ROWS rows, in $(printf '%.0f' "$(echo "$(date +%s.%N) - $t0" | bc)") s"

# The data directory uses the file in place (it must stay where it is).
"$COFRE_BIN" sql --data "$DATA" -e "CREATE DATABASE bench FROM FILE '$SRC_DB'" >/dev/null

# ---------------------------------------------------------------------------- measuring ----

# measure LABEL RUN STATEMENT: runs the statement in its own cofre process under /usr/bin/time -v
# and appends "label, wall s, CPU s, peak RSS KiB" to summary.tsv.
measure() {
  local label=$1 run=$2 stmt=$3
  local logf="$BENCH_DIR/logs/$label.$run.time" outf="$BENCH_DIR/logs/$label.$run.out"
  sync
  log "$label (run $run)"
  /usr/bin/time -v -o "$logf" "$COFRE_BIN" sql --data "$DATA" -e "$stmt" >"$outf" \
    || die "$label failed: $(cat "$outf" "$logf")"
  local wall rss user sys
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$logf" |
         awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$logf")
  user=$(awk -F': ' '/User time/ {print $2}' "$logf")
  sys=$(awk -F': ' '/System time/ {print $2}' "$logf")
  printf '%s\t%s\t%s\t%s\n' "$label" "$wall" "$(echo "$user + $sys" | bc)" "$rss" \
    >>"$BENCH_DIR/logs/summary.tsv"
}

collection_bytes() { du -sb "$DATA/extern/$1" | cut -f1; }

cofre_sql() { "$COFRE_BIN" sql --data "$DATA" -e "$1" >/dev/null; }
for ((run = 1; run <= BENCH_RUNS; run++)); do
  # Each run writes fresh collections and restores into a fresh database.
  rm -rf "$DATA/extern"
  measure "backup, unencrypted" $run "BACKUP DATABASE bench INTO 'nodelocal://1/plain'"
  measure "backup, encryption_passphrase" $run \
    "BACKUP DATABASE bench INTO 'nodelocal://1/enc' WITH encryption_passphrase = '$PASSPHRASE'"
  measure "restore, unencrypted" $run \
    "RESTORE DATABASE bench FROM LATEST IN 'nodelocal://1/plain' WITH new_db_name = 'restored'"
  cofre_sql "DROP DATABASE restored CASCADE"
  measure "restore, encryption_passphrase" $run \
    "RESTORE DATABASE bench FROM LATEST IN 'nodelocal://1/enc' WITH encryption_passphrase = '$PASSPHRASE', new_db_name = 'restored'"
  cofre_sql "DROP DATABASE restored CASCADE"
done
# Every measured run must have moved every row (a backup of an empty database is fast too).
for f in "$BENCH_DIR"/logs/*.out; do
  got=$(grep -Eo '\| +[0-9]+ \| +[0-9]+ \| +[0-9]+$' "$f" | awk -F'|' '{gsub(/ /, "", $2); print $2}')
  [[ $got == "$ROWS" ]] || die "$(basename "$f" .out) moved ${got:-no} rows, expected $ROWS"
done

PLAIN_BYTES=$(collection_bytes plain)
ENC_BYTES=$(collection_bytes enc)

# ---------------------------------------------------------------------------- reporting ----

report() {
  echo "### Measured $(date -u +%Y-%m-%d): ${BENCH_SIZE} database ($BENCH_GEN)"
  echo
  echo "Database: $DB_BYTES bytes, $ROWS rows. Backup on storage: $PLAIN_BYTES bytes unencrypted," \
       "$ENC_BYTES bytes encrypted (ratio $(echo "scale=2; $DB_BYTES / $PLAIN_BYTES" | bc)x)." \
       "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))," \
       "load average $(cut -d' ' -f1-3 /proc/loadavg) when finished; $("$COFRE_BIN" version | head -1)."
  echo "Best of $BENCH_RUNS run(s) for wall and CPU time, largest peak RSS of all runs."
  echo "Throughput = database bytes / wall time. CPU = user + system seconds."
  echo
  echo "| operation | wall s | CPU s | MB/s | peak RSS KiB |"
  echo "|---|---:|---:|---:|---:|"
  local label
  for label in "backup, unencrypted" "backup, encryption_passphrase" \
               "restore, unencrypted" "restore, encryption_passphrase"; do
    awk -F'\t' -v l="$label" -v db="$DB_BYTES" '
      $1 == l { if (!n || $2 < w) w = $2; if (!n || $3 < c) c = $3; if ($4 > r) r = $4; n++ }
      END { printf "| %s | %.2f | %.2f | %.1f | %d |\n", l, w, c, db / 1000000 / w, r }' \
      "$BENCH_DIR/logs/summary.tsv"
  done
  echo
}

report | tee "$BENCH_DIR/report.md"
if [[ $BENCH_REPORT != 0 ]]; then
  { echo; cat "$BENCH_DIR/report.md"; } >>"$ROOT/docs/encryption.md"
  log "appended to docs/encryption.md"
fi
