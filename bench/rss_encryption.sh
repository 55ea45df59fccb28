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
#   BENCH_REPORT  0 to skip appending to docs/encryption.md
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_SIZE=${BENCH_SIZE:-1G}
BUILD_DIR=$(realpath -m "${BUILD_DIR:-$ROOT/build}")
COFRE_BIN=$(realpath -m "${COFRE_BIN:-$BUILD_DIR/cofre}")
BENCH_DIR=$(realpath -m "${BENCH_DIR:-$BUILD_DIR/bench-enc}")
BENCH_GEN=${BENCH_GEN:-sqlite3}
BENCH_REPORT=${BENCH_REPORT:-1}
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

# One table: id INTEGER PRIMARY KEY; name, a short formatted text; note, 96 random hex digits
# (compresses 2x); payload, 48 random bytes then 144 zero bytes (compresses ~4x). A row is
# ~330 bytes in SQLite and ~110 bytes compressed: about 3x.
generate_sqlite3() {
  command -v sqlite3 >/dev/null || die "sqlite3 is missing (apt-get install sqlite3)"
  local rows_per_batch=500000 start=0 size=0
  sqlite3 "$SRC_DB" "PRAGMA page_size = 4096; PRAGMA journal_mode = OFF;
    CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT, payload BLOB);" >/dev/null
  while ((size < TARGET)); do
    local remaining=$(( (TARGET - size) / 330 + 1 ))
    local n=$(( remaining < rows_per_batch ? remaining : rows_per_batch ))
    sqlite3 "$SRC_DB" "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
      WITH RECURSIVE c(x) AS (SELECT $start + 1 UNION ALL SELECT x + 1 FROM c WHERE x < $start + $n)
      INSERT INTO accounts SELECT x, printf('account-%010d', x), hex(randomblob(48)),
                                  randomblob(48) || zeroblob(144) FROM c;" >/dev/null
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
    "SELECT group_concat('UNION ALL SELECT count(*) FROM \"' || name || '\"', ' ') FROM sqlite_schema WHERE type = 'table'"))")
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

"$COFRE_BIN" sql --data "$DATA" -e "CREATE DATABASE bench FROM FILE '$SRC_DB'" >/dev/null
rm -f "$SRC_DB"

# ---------------------------------------------------------------------------- measuring ----

declare -a TABLE_ROWS
# measure LABEL STATEMENT: runs the statement in its own cofre process under /usr/bin/time -v.
measure() {
  local label=$1 stmt=$2 logf=$BENCH_DIR/logs/$1.time
  sync
  log "$label"
  /usr/bin/time -v -o "$logf" "$COFRE_BIN" sql --data "$DATA" -e "$stmt" >"$BENCH_DIR/logs/$label.out" \
    || die "$label failed: $(cat "$BENCH_DIR/logs/$label.out" "$logf")"
  local wall rss user sys
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$logf" |
         awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$logf")
  user=$(awk -F': ' '/User time/ {print $2}' "$logf")
  sys=$(awk -F': ' '/System time/ {print $2}' "$logf")
  local mbs cpu
  mbs=$(echo "scale=1; $DB_BYTES / 1000000 / $wall" | bc)
  cpu=$(echo "scale=1; $user + $sys" | bc)
  TABLE_ROWS+=("| $label | $wall | $cpu | $mbs | $rss |")
  printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$wall" "$cpu" "$mbs" "$rss" >>"$BENCH_DIR/logs/summary.tsv"
}

collection_bytes() { du -sb "$DATA/extern/$1" | cut -f1; }

measure "backup, unencrypted" "BACKUP DATABASE bench INTO 'nodelocal://1/plain'"
measure "backup, encryption_passphrase" \
  "BACKUP DATABASE bench INTO 'nodelocal://1/enc' WITH encryption_passphrase = '$PASSPHRASE'"
measure "restore, unencrypted" \
  "RESTORE DATABASE bench FROM LATEST IN 'nodelocal://1/plain' WITH new_db_name = 'r_plain'"
"$COFRE_BIN" sql --data "$DATA" -e "DROP DATABASE r_plain CASCADE" >/dev/null
measure "restore, encryption_passphrase" \
  "RESTORE DATABASE bench FROM LATEST IN 'nodelocal://1/enc' WITH encryption_passphrase = '$PASSPHRASE', new_db_name = 'r_enc'"
got=$("$COFRE_BIN" sql --data "$DATA" --format csv -e "SELECT count(*) FROM r_enc.$(
  "$COFRE_BIN" sql --data "$DATA" --format csv -e "SHOW TABLES FROM bench" | sed -n 2p)" | tail -1)
log "restored table holds $got rows"

PLAIN_BYTES=$(collection_bytes plain)
ENC_BYTES=$(collection_bytes enc)

# ---------------------------------------------------------------------------- reporting ----

report() {
  echo "### Measured $(date -u +%Y-%m-%d): ${BENCH_SIZE} database ($BENCH_GEN)"
  echo
  echo "Database: $DB_BYTES bytes, $ROWS rows. Backup on storage: $PLAIN_BYTES bytes unencrypted," \
       "$ENC_BYTES bytes encrypted (ratio $(echo "scale=2; $DB_BYTES / $PLAIN_BYTES" | bc)x)." \
       "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))," \
       "load average $(cut -d' ' -f1-3 /proc/loadavg) when finished; cofre $("$COFRE_BIN" version | head -1)."
  echo "Throughput = database bytes / wall time. CPU = user + system seconds."
  echo
  echo "| operation | wall s | CPU s | MB/s | peak RSS KiB |"
  echo "|---|---:|---:|---:|---:|"
  printf '%s\n' "${TABLE_ROWS[@]}"
  echo
}

report | tee "$BENCH_DIR/report.md"
if [[ $BENCH_REPORT != 0 ]]; then
  { echo; cat "$BENCH_DIR/report.md"; } >>"$ROOT/docs/encryption.md"
  log "appended to docs/encryption.md"
fi
