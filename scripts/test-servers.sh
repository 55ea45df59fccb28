#!/usr/bin/env bash
# Starts and stops the local servers the S3, KMS and Azure tests run against.
#
#   scripts/test-servers.sh start   start two moto servers and Azurite on free loopback ports
#                                   (no-op if they are already running) and write the env file
#   scripts/test-servers.sh env     print the env file (eval "$(scripts/test-servers.sh env)")
#   scripts/test-servers.sh stop    stop the servers this script started and remove the env file
#
# Servers (moto serves S3, KMS, IAM and STS on one port):
#   plain:  no signature checks; any credentials work.
#   auth:   started with INITIAL_NO_AUTH_ACTION_COUNT=3; those three free requests create an IAM
#           user, its access key and an allow-all policy, after which every request must carry
#           a valid SigV4 signature from that key.
#   azurite: the Azure Blob emulator (scripts/install-azure-tools.sh installs the pinned version),
#           in-memory, with one account (cofretest) whose key is random per start; it checks
#           Shared Key and SAS signatures. A second Azurite serves HTTPS (a self-signed
#           certificate for 127.0.0.1, made here with openssl) with --oauth basic, for Azure AD
#           bearer tokens, which Azurite takes only over HTTPS.
# The env file ($COFRE_TEST_SERVERS_DIR, else $BUILD, else build/, + /test-servers.env) is
# sourceable and exports:
#   COFRE_TEST_S3_ENDPOINT, COFRE_TEST_S3_ACCESS_KEY_ID, COFRE_TEST_S3_SECRET_ACCESS_KEY,
#   COFRE_TEST_S3_AUTH_ENDPOINT, COFRE_TEST_S3_AUTH_ACCESS_KEY_ID,
#   COFRE_TEST_S3_AUTH_SECRET_ACCESS_KEY, COFRE_TEST_KMS_ENDPOINT, COFRE_TEST_KMS_AUTH_ENDPOINT,
#   COFRE_TEST_AWS_REGION, COFRE_TEST_AZURE_ENDPOINT (http://127.0.0.1:PORT/cofretest),
#   COFRE_TEST_AZURE_ACCOUNT, COFRE_TEST_AZURE_KEY, COFRE_TEST_AZURE_TOOLS (node_modules parent),
#   COFRE_TEST_AZURE_HTTPS_ENDPOINT (https://127.0.0.1:PORT/cofretest, same account and key),
#   COFRE_TEST_AZURE_CA (the PEM certificate that endpoint presents)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${COFRE_TEST_SERVERS_DIR:-${BUILD:-$ROOT/build}}"
ENV_FILE="$STATE_DIR/test-servers.env"
PID_FILE="$STATE_DIR/test-servers.pids"
PYTHON="${PYTHON:-python3}"
MOTO="${MOTO_SERVER:-moto_server}"

free_port() {
  "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits until 127.0.0.1:$1 accepts TCP connections (without sending a request, which the auth
# server would count as one of its free actions).
wait_port() {
  "$PYTHON" - "$1" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
deadline = time.time() + 30
while time.time() < deadline:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit("moto_server on port %d did not start within 30 s" % port)
EOF
}

running() {
  [[ -f "$PID_FILE" && -f "$ENV_FILE" ]] || return 1
  local pid
  for pid in $(cat "$PID_FILE"); do
    kill -0 "$pid" 2>/dev/null || return 1
  done
  return 0
}

stop() {
  if [[ -f "$PID_FILE" ]]; then
    local pid
    for pid in $(cat "$PID_FILE"); do
      kill "$pid" 2>/dev/null || true
    done
    for pid in $(cat "$PID_FILE"); do
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    done
  fi
  rm -f "$PID_FILE" "$ENV_FILE"
}

start() {
  if running; then
    echo "test servers already running; env in $ENV_FILE"
    return 0
  fi
  stop
  mkdir -p "$STATE_DIR"
  command -v "$MOTO" >/dev/null || { echo "error: $MOTO not found; install moto[server]" >&2; exit 1; }

  local plain_port auth_port
  plain_port="$(free_port)"
  auth_port="$(free_port)"
  while [[ "$auth_port" == "$plain_port" ]]; do auth_port="$(free_port)"; done

  setsid "$MOTO" -H 127.0.0.1 -p "$plain_port" >"$STATE_DIR/test-servers-plain.log" 2>&1 &
  local plain_pid=$!
  INITIAL_NO_AUTH_ACTION_COUNT=3 setsid "$MOTO" -H 127.0.0.1 -p "$auth_port" \
    >"$STATE_DIR/test-servers-auth.log" 2>&1 &
  local auth_pid=$!
  echo "$plain_pid $auth_pid" >"$PID_FILE"

  local azure_tools azure_port azure_key
  azure_tools="$(BUILD="${BUILD:-$ROOT/build}" "$ROOT/scripts/install-azure-tools.sh" | tail -n 1)" ||
    { echo "error: could not install Azurite" >&2; stop; exit 1; }
  azure_port="$(free_port)"
  while [[ "$azure_port" == "$plain_port" || "$azure_port" == "$auth_port" ]]; do
    azure_port="$(free_port)"
  done
  azure_key="$("$PYTHON" -c 'import base64, os; print(base64.b64encode(os.urandom(64)).decode())')"
  # --skipApiVersionCheck: cofre's x-ms-version may be newer than this Azurite knows.
  AZURITE_ACCOUNTS="cofretest:$azure_key" setsid "$azure_tools/node_modules/.bin/azurite-blob" \
    --blobHost 127.0.0.1 --blobPort "$azure_port" --inMemoryPersistence --skipApiVersionCheck \
    --disableProductStyleUrl --disableTelemetry \
    >"$STATE_DIR/test-servers-azurite.log" 2>&1 &
  local azurite_pid=$!
  local https_port
  https_port="$(free_port)"
  while [[ "$https_port" == "$plain_port" || "$https_port" == "$auth_port" ||
           "$https_port" == "$azure_port" ]]; do
    https_port="$(free_port)"
  done
  openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$STATE_DIR/azurite-key.pem" \
    -out "$STATE_DIR/azurite-cert.pem" >/dev/null 2>&1 ||
    { echo "error: openssl could not make Azurite's certificate" >&2; stop; exit 1; }
  AZURITE_ACCOUNTS="cofretest:$azure_key" setsid "$azure_tools/node_modules/.bin/azurite-blob" \
    --blobHost 127.0.0.1 --blobPort "$https_port" --inMemoryPersistence --skipApiVersionCheck \
    --disableProductStyleUrl --disableTelemetry --oauth basic \
    --cert "$STATE_DIR/azurite-cert.pem" --key "$STATE_DIR/azurite-key.pem" \
    >"$STATE_DIR/test-servers-azurite-https.log" 2>&1 &
  echo "$plain_pid $auth_pid $azurite_pid $!" >"$PID_FILE"

  wait_port "$plain_port"
  wait_port "$auth_port"
  wait_port "$azure_port"
  wait_port "$https_port"

  # The three unauthenticated requests: user, access key, allow-all policy.
  local creds
  creds="$("$PYTHON" - "$auth_port" <<'EOF'
import sys, boto3
iam = boto3.client("iam", endpoint_url="http://127.0.0.1:%s" % sys.argv[1],
                   region_name="us-east-1", aws_access_key_id="bootstrap",
                   aws_secret_access_key="bootstrap")
iam.create_user(UserName="cofre-test")
key = iam.create_access_key(UserName="cofre-test")["AccessKey"]
iam.put_user_policy(UserName="cofre-test", PolicyName="allow-all", PolicyDocument=
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}')
print(key["AccessKeyId"], key["SecretAccessKey"])
EOF
)" || { echo "error: could not create the IAM user on the auth server" >&2; stop; exit 1; }
  local auth_key_id auth_secret
  read -r auth_key_id auth_secret <<<"$creds"

  cat >"$ENV_FILE.tmp" <<EOF
# Written by scripts/test-servers.sh start; remove with scripts/test-servers.sh stop.
export COFRE_TEST_S3_ENDPOINT=http://127.0.0.1:$plain_port
export COFRE_TEST_S3_ACCESS_KEY_ID=cofre-test-key
export COFRE_TEST_S3_SECRET_ACCESS_KEY=cofre-test-secret
export COFRE_TEST_S3_AUTH_ENDPOINT=http://127.0.0.1:$auth_port
export COFRE_TEST_S3_AUTH_ACCESS_KEY_ID=$auth_key_id
export COFRE_TEST_S3_AUTH_SECRET_ACCESS_KEY=$auth_secret
export COFRE_TEST_KMS_ENDPOINT=http://127.0.0.1:$plain_port
export COFRE_TEST_KMS_AUTH_ENDPOINT=http://127.0.0.1:$auth_port
export COFRE_TEST_AWS_REGION=us-east-1
export COFRE_TEST_AZURE_ENDPOINT=http://127.0.0.1:$azure_port/cofretest
export COFRE_TEST_AZURE_ACCOUNT=cofretest
export COFRE_TEST_AZURE_KEY=$azure_key
export COFRE_TEST_AZURE_TOOLS=$azure_tools
export COFRE_TEST_AZURE_HTTPS_ENDPOINT=https://127.0.0.1:$https_port/cofretest
export COFRE_TEST_AZURE_CA=$STATE_DIR/azurite-cert.pem
EOF
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  echo "test servers running: plain S3/KMS on port $plain_port, signature-checking on port $auth_port, Azurite on ports $azure_port (http) and $https_port (https, OAuth)"
  echo "env written to $ENV_FILE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env)
    [[ -f "$ENV_FILE" ]] || { echo "error: no $ENV_FILE; run $0 start" >&2; exit 1; }
    cat "$ENV_FILE"
    ;;
  *)
    echo "usage: $0 start|stop|env" >&2
    exit 2
    ;;
esac
