# Shared by the benchmark scripts (sourced): starting and stopping a release server on
# loopback, free ports, wrk, and cleaning up. Callers set BIN, PG_ADMIN, work (a temp dir),
# server_pid="" and pg_db="", and may set EXTRA_SERVER_ENV=(NAME=value …).
# shellcheck shell=bash
# shellcheck disable=SC2154  # work, pg_db, server_pid, BIN, PG_ADMIN belong to the caller

cleanup() {
  stop_server
  if [ -n "$pg_db" ]; then
    psql -q -X "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
    pg_db=""
  fi
  rm -rf "$work"
}

# SIGTERM (graceful), then SIGKILL if it has not exited within 5 s.
stop_server() {
  [ -n "$server_pid" ] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# A free port below the kernel's ephemeral range, so no client socket or `:0` listener of
# another program is handed the same port between this check and the server's bind.
free_port() {
  python3 - <<'PY'
import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for port in random.sample(range(20000, max(low, 20001)), 200):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
else:
    raise SystemExit("no free port")
PY
}

ensure_wrk() {
  command -v wrk >/dev/null && return
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing wrk" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  fi
  command -v wrk >/dev/null || { echo "wrk is required (apt-get install -y wrk)" >&2; exit 1; }
}

# start_server <store> <port> [DATABASE_URL]: a clean environment (defaults but the rate limit,
# the address, the store and EXTRA_SERVER_ENV), so no caller setting leaks.
start_server() {
  local store="$1" port="$2" url="${3:-}"
  local env=(PATH="$PATH" RUST_LOG=warn SANDBANK_LOG_FORMAT=json SANDBANK_RATE_LIMIT=0
    SANDBANK_LISTEN="127.0.0.1:$port" SANDBANK_DATA_DIR="$work/data-$store")
  env+=("${EXTRA_SERVER_ENV[@]}")
  [ -n "$url" ] && env+=(DATABASE_URL="$url")
  env -i "${env[@]}" "$BIN" serve 2>>"$work/server-$store.log" &
  server_pid=$!
  for _ in $(seq 1 200); do
    kill -0 "$server_pid" 2>/dev/null || break
    # Ready, and it is our server answering: the store it names is the one asked for.
    if curl -fsS --max-time 1 "http://127.0.0.1:$port/readyz" 2>/dev/null | grep -q "\"store\":\"$store\""; then
      kill -0 "$server_pid" 2>/dev/null && return 0
    fi
    sleep 0.05
  done
  echo "the $store server did not become ready; its log:" >&2
  cat "$work/server-$store.log" >&2
  exit 1
}
