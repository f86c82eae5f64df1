#!/usr/bin/env bash
# Two commands for a fresh machine:
#   ./dev.sh run    install what is missing, start Azurite + Redis, run the Functions host (func start, or the host
#                   folder in FUNCTIONS_HOST_DIR / ../shared/functions-host when Core Tools are missing)
#   ./dev.sh test   install what is missing, then dotnet test (unit tests start their own Redis + Azurite; the
#                   end-to-end tests also start the Functions host the same way), then the Redis-backed tests again
#                   on a local 3-master Redis Cluster (REDIS_CLUSTER_PASS=0 skips that pass)
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
DEV="$ROOT/.dev"
mkdir -p "$DEV"

say() { printf '\033[1m[dev]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[dev] %s\033[0m\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif have sudo; then sudo -n "$@"; else return 1; fi
}

apt_install() {
  have apt-get || return 1
  if [ ! -f "$DEV/apt-updated" ]; then as_root apt-get update -qq && touch "$DEV/apt-updated"; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

ensure_dotnet() {
  have dotnet || die ".NET 10 SDK not found. Install it: https://dotnet.microsoft.com/download/dotnet/10.0 (or: curl -sSL https://dot.net/v1/dotnet-install.sh | bash -s -- --channel 10.0)"
  dotnet --list-sdks | grep -q '^10\.' || die ".NET 10 SDK required; found: $(dotnet --list-sdks | tr '\n' ' '). Install it from https://dotnet.microsoft.com/download/dotnet/10.0"
}

ensure_node() {
  if ! have node || ! have npm; then
    say "Node.js missing; trying apt-get install nodejs npm"
    apt_install nodejs npm || die "Node.js 20+ and npm are required for Azurite. Install them: https://nodejs.org/en/download"
  fi
  if [ ! -x node_modules/.bin/azurite ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "Installing Azurite (pinned in package-lock.json)"
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
  fi
}

ensure_redis() {
  have redis-server && return 0
  say "redis-server missing; trying apt-get install redis-server"
  if apt_install redis-server; then return 0; fi
  say "apt-get unavailable; using Garnet (Redis-compatible) from the repo's dotnet tool manifest"
  dotnet tool restore >/dev/null || die "No Redis: install redis-server (apt-get install redis-server) or Garnet (dotnet tool restore)."
}

setup() {
  ensure_dotnet
  ensure_node
  ensure_redis
  say "Restoring .NET packages"
  dotnet restore Serverless.sln >"$DEV/restore.log" 2>&1 || { cat "$DEV/restore.log" >&2; die "dotnet restore failed"; }
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_services() {
  if port_open 10000; then
    say "Something already listens on 10000; using it as Azurite"
  else
    say "Starting Azurite on 127.0.0.1:10000-10002 (data in .dev/azurite)"
    node_modules/.bin/azurite --silent --skipApiVersionCheck --disableTelemetry --location "$DEV/azurite" \
      --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 >"$DEV/azurite.log" 2>&1 &
    echo $! >"$DEV/azurite.pid"
  fi
  if port_open 6379; then
    say "Something already listens on 6379; using it as Redis"
  elif have redis-server; then
    say "Starting redis-server on 127.0.0.1:6379"
    redis-server --port 6379 --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$DEV/redis.log" 2>&1 &
    echo $! >"$DEV/redis.pid"
  else
    say "Starting Garnet on 127.0.0.1:6379"
    dotnet tool run garnet-server -- --bind 127.0.0.1 --port 6379 --lua >"$DEV/redis.log" 2>&1 &
    echo $! >"$DEV/redis.pid"
  fi
  trap stop_services EXIT
  for _ in $(seq 1 100); do port_open 10000 && port_open 10001 && port_open 10002 && port_open 6379 && return 0; sleep 0.2; done
  die "Services did not start; see .dev/azurite.log and .dev/redis.log"
}

stop_services() {
  # The host shuts down gracefully on TERM but can take well over 10 s; its worker goes with it, or with KILL.
  if [ -f "$DEV/host.pid" ]; then
    local host workers; host=$(cat "$DEV/host.pid"); workers=$(pgrep -P "$host" || true)
    kill "$host" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$host" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$host" $workers 2>/dev/null || true
    rm -f "$DEV/host.pid"
  fi
  for f in "$DEV/azurite.pid" "$DEV/redis.pid"; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
}

# A Functions host when Core Tools are missing: FUNCTIONS_HOST_DIR, else the shared build beside this checkout.
host_dir() {
  local dir=${FUNCTIONS_HOST_DIR:-$ROOT/../shared/functions-host}
  [ -f "$dir/Microsoft.Azure.WebJobs.Script.WebHost.dll" ] && (cd "$dir" && pwd)
}

ensure_func() {
  have func && return 0
  if [ -x "$DEV/func/node_modules/.bin/func" ]; then export PATH="$DEV/func/node_modules/.bin:$PATH"; return 0; fi
  host_dir >/dev/null && return 0
  say "Azure Functions Core Tools (func) not found; trying the npm package azure-functions-core-tools@4"
  if npm install --prefix "$DEV/func" --no-audit --no-fund --loglevel=error azure-functions-core-tools@4 >"$DEV/func-install.log" 2>&1 \
     && "$DEV/func/node_modules/.bin/func" --version >/dev/null 2>&1; then
    export PATH="$DEV/func/node_modules/.bin:$PATH"
    return 0
  fi
  cat >&2 <<'HINT'
[dev] Azure Functions Core Tools v4 are required for './dev.sh run' and could not be installed here
      (their installer downloads the host from a CDN; see .dev/func-install.log). Install them, then re-run:
        npm i -g azure-functions-core-tools@4 --unsafe-perm true
      or the OS package (Debian/Ubuntu: apt-get install azure-functions-core-tools-4 from packages.microsoft.com),
      see https://learn.microsoft.com/azure/azure-functions/functions-run-local
      Or point FUNCTIONS_HOST_DIR at a built Functions host folder.
HINT
  exit 1
}

# What `func start` does, for a host folder: the app's build output as script root, local.settings.json's Values as
# environment variables, file-based keys with a master key kept in .dev, and this machine's container markers removed.
run_host_folder() {
  local hostdir=$1 port=7071 app="$ROOT/functions/bin/Debug/net10.0" state="$DEV/host"
  have curl || apt_install curl || die "curl is needed to wait for the host; install it (apt-get install curl)"
  say "Building the functions project"
  dotnet build functions/Serverless.Functions.csproj -c Debug >"$DEV/build.log" 2>&1 || { cat "$DEV/build.log" >&2; die "build failed"; }
  mkdir -p "$state/secrets" "$state/logs"
  [ -f "$state/master-key" ] || head -c 32 /dev/urandom | base64 | tr -d '/+=' >"$state/master-key"
  local key; key=$(cat "$state/master-key")
  cat >"$state/secrets/host.json" <<JSON
{ "masterKey": { "name": "master", "value": "$key", "encrypted": false }, "functionKeys": [], "systemKeys": [],
  "hostName": "127.0.0.1:$port", "instanceId": "00000000000000000000000000000001", "source": "runtime", "decryptionKeyId": "" }
JSON
  local settings; settings=$(node -e 'const v=require(process.argv[1]).Values||{};for(const[k,x] of Object.entries(v))console.log(k+"="+x)' "$ROOT/functions/local.settings.json")
  local -a envs=()
  while IFS= read -r line; do [ -n "$line" ] && envs+=("$line"); done <<<"$settings"
  env -u CONTAINER_NAME -u WEBSITE_INSTANCE_ID "${envs[@]}" \
    AzureWebJobsScriptRoot="$app" "languageWorkers__dotnet-isolated__workerDirectory=$app" \
    FUNCTIONS_WORKER_RUNTIME=dotnet-isolated AZURE_FUNCTIONS_ENVIRONMENT=Development \
    ASPNETCORE_URLS="http://127.0.0.1:$port" WEBSITE_HOSTNAME="127.0.0.1:$port" \
    AzureWebJobsSecretStorageType=files FUNCTIONS_SECRETS_PATH="$state/secrets" FUNCTIONS_LOG_PATH="$state/logs" DOTNET_NOLOGO=1 \
    dotnet "$hostdir/Microsoft.Azure.WebJobs.Script.WebHost.dll" &
  local pid=$!
  echo "$pid" >"$DEV/host.pid"
  for _ in $(seq 1 240); do
    kill -0 "$pid" 2>/dev/null || die "The Functions host exited; see its output above"
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/health" 2>/dev/null)" = 200 ]; then
      say "Ready: http://127.0.0.1:$port/api  (function-level routes: header x-functions-key: $key)"
      break
    fi
    sleep 0.5
  done
  wait "$pid"
}

run_app() {
  setup
  ensure_func
  if [ ! -f functions/local.settings.json ]; then
    say "Creating functions/local.settings.json from local.settings.sample.json"
    cp local.settings.sample.json functions/local.settings.json
  fi
  # A settings file copied before a new setting was added would leave a binding unresolved (the host disables it).
  local missing; missing=$(node -e 'const [s,l]=process.argv.slice(1).map(f=>require(f).Values||{});console.log(Object.keys(s).filter(k=>!(k in l)).join(" "))' \
    "$ROOT/local.settings.sample.json" "$ROOT/functions/local.settings.json")
  [ -z "$missing" ] || say "functions/local.settings.json lacks settings the sample has: $missing (copy them from local.settings.sample.json)"
  start_services
  if have func; then
    say "Starting the Functions host; endpoints under http://localhost:7071/api"
    (cd functions && func start)
  else
    say "Core Tools missing; running the Functions host from $(host_dir)"
    run_host_folder "$(host_dir)"
  fi
}

# The status page test drives Debian's Chromium headless (tests/Status); a missing browser fails that test saying how to install it.
ensure_chromium() {
  have chromium || have chromium-browser && return 0
  say "chromium missing; trying apt-get install chromium (the status page test runs it headless)"
  apt_install chromium || say "Could not install chromium; the status page test will fail saying how"
}

# The cluster pass needs redis-cli (Debian's redis-tools, which redis-server pulls in) and a real redis-server.
ensure_redis_cluster() {
  have redis-server && have redis-cli && return 0
  say "The cluster pass needs redis-server and redis-cli; trying apt-get install redis-server redis-tools"
  apt_install redis-server redis-tools || say "Could not install them; the cluster pass's tests will fail saying how"
}

# The caller's dotnet test arguments for the cluster pass: the build is the first pass's, and the caller's --filter
# (if any) is narrowed to the Redis-backed tests ([RedisBacked] in tests/Serverless.Testing sets Redis=true).
cluster_pass_args() {
  CLUSTER_ARGS=(--no-build)
  local filter=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --filter) filter=${2:-}; shift; [ $# -gt 0 ] && shift ;;
      --filter=*) filter=${1#--filter=}; shift ;;
      --no-build) shift ;;
      *) CLUSTER_ARGS+=("$1"); shift ;;
    esac
  done
  CLUSTER_ARGS+=(--filter "${filter:+($filter)&}Redis=true")
}

run_tests() {
  setup
  ensure_chromium
  if ! have func && [ -z "${FUNCTIONS_HOST_DIR:-}" ] && host_dir >/dev/null; then
    export FUNCTIONS_HOST_DIR; FUNCTIONS_HOST_DIR=$(host_dir)
  fi
  say "Running tests (they start their own Redis, Azurite and Functions host on free ports)"
  rm -rf TestResults
  local status=0
  dotnet test Serverless.sln --logger "trx;LogFilePrefix=tests" --results-directory TestResults "$@" || status=$?
  # Azure Managed Redis is clustered: a script or multi-key command whose keys span hash slots fails there (CROSSSLOT)
  # while one node accepts it, so every Redis-backed test runs once more on a cluster, with its own trx.
  if [ "${REDIS_CLUSTER_PASS:-1}" = 0 ]; then
    say "REDIS_CLUSTER_PASS=0: skipping the Redis Cluster pass"
  elif [ -n "${REDIS_CONNECTION:-}" ]; then
    say "REDIS_CONNECTION is set, so the tests ran on that Redis; skipping the local Redis Cluster pass"
  else
    ensure_redis_cluster
    cluster_pass_args "$@"
    say "Redis Cluster pass: the Redis-backed tests (trait Redis=true) on a local 3-master cluster (REDIS_TOPOLOGY=cluster)"
    local started=$SECONDS
    REDIS_TOPOLOGY=cluster dotnet test Serverless.sln --logger "trx;LogFilePrefix=cluster" --results-directory TestResults \
      "${CLUSTER_ARGS[@]}" || status=$?
    say "Redis Cluster pass took $((SECONDS - started)) s"
  fi
  return "$status"
}

case "${1:-}" in
  run) shift; run_app "$@" ;;
  test) shift; run_tests "$@" ;;
  *) echo "usage: ./dev.sh run | ./dev.sh test [dotnet test args]" >&2; exit 2 ;;
esac
