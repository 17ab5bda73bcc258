# Shared by the peer benchmarks (bench/api_peer.sh, bench/ec2_peer.sh), which
# source it: start a fresh `kura serve` and a moto_server on free loopback
# ports, stop them, clean up. Not runnable on its own.
#
# The sourcing script calls `peer_setup NAME BINARY...` (NAME for messages):
# it checks the binaries exist, makes $tmp (a fresh directory, removed on
# exit) and traps EXIT/INT/TERM. After start_kura: $kura_pid, $kura_port, $kura_credentials.
# After start_moto: $moto_pid, $moto_port (non-zero status and $peer_note set
# when moto cannot run).

peer_setup() {
  PEER_SCRIPT=$1; shift
  local b
  for b in "$@"; do
    [ -x "$b" ] || { echo "$PEER_SCRIPT: $b is missing (build it first; bench/run does)" >&2; exit 2; }
  done
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/kura-${PEER_SCRIPT%.sh}-XXXXXX")
  kura_pid=""
  moto_pid=""
  trap peer_cleanup EXIT
  trap 'exit 130' INT TERM
}

stop_server() {  # SIGTERM, then wait (SIGKILL after 30 s)
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

peer_cleanup() {
  stop_server "$kura_pid"; kura_pid=""
  stop_server "$moto_pid"; moto_pid=""
  rm -rf "$tmp"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_listening PORT PID LOG: until the port accepts connections (60 s; moto
# takes seconds to import on a busy machine).
wait_listening() {
  local port=$1 pid=$2 log=$3
  for _ in $(seq 600); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$PEER_SCRIPT: server exited early; its log:" >&2; cat "$log" >&2; return 1
    fi
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$PEER_SCRIPT: server did not listen on $port; its log:" >&2; cat "$log" >&2; return 1
}

# start_kura: a fresh kura serve with its data in $tmp/kura-data; it writes
# the SigV4 credentials of its bootstrap user to $kura_credentials.
start_kura() {
  kura_port=$(free_port)
  kura_credentials=$tmp/kura-data/credentials
  "$KURA_BIN" serve --data-dir "$tmp/kura-data" --listen "127.0.0.1:$kura_port" --nbd-listen 127.0.0.1:0 \
    >"$tmp/kura.log" 2>&1 &
  kura_pid=$!
  wait_listening "$kura_port" "$kura_pid" "$tmp/kura.log" || return 1
  for _ in $(seq 100); do [ -s "$kura_credentials" ] && break; sleep 0.1; done
  [ -s "$kura_credentials" ] || { echo "$PEER_SCRIPT: kura wrote no $kura_credentials" >&2; return 1; }
}

# start_moto: moto_server when it is on PATH; it checks no signature, so any
# credentials do (MOTO_ACCESS_KEY / MOTO_SECRET_KEY below, still signed).
MOTO_ACCESS_KEY=AKIAIOSFODNN7EXAMPLE
MOTO_SECRET_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
start_moto() {
  if ! command -v moto_server >/dev/null 2>&1; then
    peer_note="peer unavailable: moto_server is not on PATH"; return 1
  fi
  moto_port=$(free_port)
  moto_server -H 127.0.0.1 -p "$moto_port" >"$tmp/moto.log" 2>&1 &
  moto_pid=$!
  if ! wait_listening "$moto_port" "$moto_pid" "$tmp/moto.log"; then
    peer_note="peer unavailable: moto_server did not start"; return 1
  fi
}

# run_kura BENCH [ARGS...]: BENCH against a fresh kura serve (exits the
# script when kura cannot start); output to the terminal and $tmp/kura.out,
# BENCH's exit status in $kura_status; the server log tail when it failed.
run_kura() {
  local bench=$1; shift
  start_kura || exit 1
  "$bench" --endpoint "http://127.0.0.1:$kura_port" --credentials-file "$kura_credentials" \
    --label kura --server-pid "$kura_pid" "$@" | tee "$tmp/kura.out"
  kura_status=${PIPESTATUS[0]}
  stop_server "$kura_pid"; kura_pid=""
  if [ "$kura_status" -ne 0 ]; then
    echo "$PEER_SCRIPT: kura's run FAILED (exit $kura_status); server log tail:" >&2
    tail -n 20 "$tmp/kura.log" >&2
  fi
}

# run_moto PEER BENCH [ARGS...]: unless PEER is none, BENCH against a fresh
# moto_server; output to the terminal and $tmp/moto.out (empty when not run);
# $peer_note says why the peer has no figures, or "".
run_moto() {
  local peer=$1 bench=$2; shift 2
  peer_note=""
  : >"$tmp/moto.out"
  if [ "$peer" = none ]; then
    peer_note="peer not run (--peer none)"
  elif start_moto; then
    "$bench" --endpoint "http://127.0.0.1:$moto_port" --access-key-id "$MOTO_ACCESS_KEY" \
      --secret-access-key "$MOTO_SECRET_KEY" --label moto --server-pid "$moto_pid" "$@" | tee "$tmp/moto.out"
    local status=${PIPESTATUS[0]}
    [ "$status" -ne 0 ] && peer_note="moto's run had failures (exit $status)"
  fi
  stop_server "$moto_pid"; moto_pid=""
}

# An awk function for the tables: field(line, "rps") is the value of rps=...
# in a `result ...` line. Prepend it to an awk program.
AWK_FIELD='
  function field(line, name,   n, i, kv) {
    n = split(line, kv, " ")
    for (i = 1; i <= n; i++) if (index(kv[i], name "=") == 1) return substr(kv[i], length(name) + 2)
    return ""
  }'
