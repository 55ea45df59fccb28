#!/usr/bin/env bash
# Runs the whole cofre suite (make test): starts the moto servers on 127.0.0.1, runs every unit
# and end-to-end test through ctest, and stops the servers whatever happens. Exits non-zero when
# anything fails. (Fuzzing: make fuzz.)
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${BUILD:-$ROOT/build}"
cd "$ROOT"

if ! command -v moto_server >/dev/null 2>&1; then
  echo "moto_server is missing: the S3/KMS tests need moto 5 (python3 -m pip install 'moto[server]')" >&2
  python3 -m pip install -q 'moto[server]>=5' boto3 || exit 1
fi

scripts/test-servers.sh start || { echo "cannot start the test servers" >&2; exit 1; }
trap 'scripts/test-servers.sh stop >/dev/null 2>&1' EXIT
# shellcheck disable=SC1090
set -a; source "$BUILD/test-servers.env"; set +a

failed=0
ctest --test-dir "$BUILD" --output-on-failure -j "${CTEST_JOBS:-2}" --timeout 900 || failed=1

exit $failed
