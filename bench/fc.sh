#!/usr/bin/env bash
# Financial Connections benchmarks of the release binary, on SQLite and on Postgres; bounded,
# loopback only.
#
#   bench/fc.sh               build (release server + examples/fc_bench.rs), then both stores
#   bench/fc.sh --no-build    use the existing target/release binaries
#
# Per store, against a fresh server (fresh SQLite data directory, or a fresh database on
# 127.0.0.1:5432, dropped afterwards) with the rate limit off and every other setting at its
# default (two refresh workers, 200 ms idle poll):
#   1. session create → test-helper complete → accounts listed      (FC_ROUNDS rounds)
#   2. a bank token exchange: authorize → … → code, then POST …/oauth/token   (FC_ROUNDS)
#   3. link → ownership_refresh.status == succeeded, the server's own workers (FC_LINKS links)
#   4. wrk: GET /v1/financial_connections/accounts/{id}?expand[]=ownership (req/s, p50, p99)
# Latencies are median and p99 over the rounds (examples/fc_bench.rs prints them).
#
# Settings (environment): FC_ROUNDS (default 100), FC_LINKS (default 50), BENCH_DURATION (s,
# default 10), BENCH_WARMUP (s, default 2), BENCH_THREADS (default 2), BENCH_CONNECTIONS
# (default 32), BENCH_STORES ("sqlite postgres"), BENCH_POSTGRES (admin URL, default
# postgres://postgres@127.0.0.1:5432/postgres). A copy of the report goes to bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS="${FC_ROUNDS:-100}"
LINKS="${FC_LINKS:-50}"
DURATION="${BENCH_DURATION:-10}"
WARMUP="${BENCH_WARMUP:-2}"
THREADS="${BENCH_THREADS:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
STORES="${BENCH_STORES:-sqlite postgres}"
PG_ADMIN="${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"
KEY="sk_test_sandbank"
TARGET="${CARGO_TARGET_DIR:-$PWD/target}/release"
BIN="$TARGET/sandbank"
DRIVER="$TARGET/examples/fc_bench"

build=1
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

work="$(mktemp -d "${TMPDIR:-/tmp}/sandbank-fc-bench.XXXXXX")"
server_pid=""
pg_db=""

EXTRA_SERVER_ENV=()
# shellcheck source=bench/lib.sh
. bench/lib.sh
trap cleanup EXIT
trap 'exit 130' INT TERM

# run_wrk <label> <url> [wrk args…]: a warm-up, then the measured run; prints one row.
run_wrk() {
  local label="$1" url="$2"
  shift 2
  timeout $((WARMUP + 10)) wrk -t "$THREADS" -c "$CONNECTIONS" -d "${WARMUP}s" "$@" "$url" >/dev/null
  local out line
  out="$(timeout $((DURATION + 15)) wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" "$@" "$url")"
  line="$(grep '^BENCH ' <<<"$out")" || { echo "wrk gave no summary:" >&2; echo "$out" >&2; exit 1; }
  awk -v label="$label" '
    BEGIN {
      for (i = 1; i <= split(ARGV[1], kv, " "); i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
      ARGV[1] = ""
      printf "  %-58s %9.0f req/s  p50 %6.2f ms  p99 %6.2f ms  errors %d\n", label,
        v["requests"] / (v["duration_us"] / 1e6), v["p50_us"] / 1000, v["p99_us"] / 1000,
        v["non2xx"] + v["errors"]
      exit
    }' "${line#BENCH }"
}

bench_store() {
  local store="$1" url=""
  if [ "$store" = postgres ]; then
    if ! psql -q -X "$PG_ADMIN" -c 'SELECT 1' >/dev/null 2>&1; then
      echo "postgres: skipped, nothing answers at $PG_ADMIN"
      return
    fi
    pg_db="sandbank_fc_bench_$(date +%s)_$$"
    psql -q -X "$PG_ADMIN" -c "CREATE DATABASE $pg_db" >/dev/null
    url="${PG_ADMIN%/*}/$pg_db"
  fi
  local port base
  port="$(free_port)"
  start_server "$store" "$port" "$url"
  base="http://127.0.0.1:$port"
  echo "$store:"
  timeout 600 "$DRIVER" "$base" complete "$ROUNDS"
  timeout 600 "$DRIVER" "$base" token "$ROUNDS"
  timeout 600 "$DRIVER" "$base" ownership "$LINKS"
  local account
  account="$(timeout 60 "$DRIVER" "$base" account)"
  run_wrk "wrk GET …/accounts/{id}?expand[]=ownership" \
    "$base/v1/financial_connections/accounts/$account?expand[]=ownership" \
    -H "Authorization: Bearer $KEY" -s bench/report.lua

  local log_lines
  log_lines="$(wc -l <"$work/server-$store.log")"
  stop_server
  if [ "$log_lines" != 0 ]; then
    echo "  ($store server wrote $log_lines warning/error lines; first ones:)"
    head -n 3 "$work/server-$store.log" | sed 's/^/    /'
  fi
  if [ -n "$pg_db" ]; then
    psql -q -X "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null
    pg_db=""
  fi
}

main() {
  ensure_wrk
  if [ "$build" = 1 ]; then
    cargo build --release --quiet --bin sandbank --example fc_bench
  fi
  if ! [ -x "$BIN" ] || ! [ -x "$DRIVER" ]; then
    echo "no $BIN or $DRIVER; run without --no-build" >&2
    exit 1
  fi
  echo "sandbank Financial Connections benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(nproc) cores, $(awk '/^model name/ { $1 = $2 = $3 = ""; print; exit }' /proc/cpuinfo | sed 's/^ *//')"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "server: $BIN, defaults but SANDBANK_RATE_LIMIT=0; rounds: $ROUNDS, links: $LINKS;" \
    "wrk: $THREADS threads, $CONNECTIONS connections, ${DURATION}s after ${WARMUP}s warm-up"
  for store in $STORES; do
    bench_store "$store"
  done
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
}

mkdir -p bench/out
exec > >(tee "bench/out/fc-$(date -u +%Y%m%dT%H%M%SZ).txt") 2>&1
main
