#!/usr/bin/env bash
# Two commands for a fresh machine:
#   ./dev.sh run    install what is missing, start Azurite + Redis, run the Functions host (func start)
#   ./dev.sh test   install what is missing, then dotnet test (the tests start their own Redis + Azurite)
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
  for f in "$DEV/azurite.pid" "$DEV/redis.pid"; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
}

ensure_func() {
  have func && return 0
  if [ -x "$DEV/func/node_modules/.bin/func" ]; then export PATH="$DEV/func/node_modules/.bin:$PATH"; return 0; fi
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
      './dev.sh test' needs no Core Tools.
HINT
  exit 1
}

run_app() {
  setup
  ensure_func
  if [ ! -f functions/local.settings.json ]; then
    say "Creating functions/local.settings.json from local.settings.sample.json"
    cp local.settings.sample.json functions/local.settings.json
  fi
  start_services
  say "Starting the Functions host; endpoints under http://localhost:7071/api"
  cd functions && func start
}

run_tests() {
  setup
  say "Running tests (they start their own Redis and Azurite on free ports)"
  rm -rf TestResults
  dotnet test Serverless.sln --logger "trx;LogFileName=tests.trx" --results-directory TestResults "$@"
}

case "${1:-}" in
  run) shift; run_app "$@" ;;
  test) shift; run_tests "$@" ;;
  *) echo "usage: ./dev.sh run | ./dev.sh test [dotnet test args]" >&2; exit 2 ;;
esac
