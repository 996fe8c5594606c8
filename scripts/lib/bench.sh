# Shared by the benchmarks (scripts/bench, scripts/bench-tls): server process control and the
# figures read from wrk and /proc. Sourced, not executed; expects SERVER_PID, PORT and SCHEME.

SERVER_PID=""
SCHEME="${SCHEME:-http}"
stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
# Waits until the server on PORT answers PATH (default /1k.html) with a 2xx, for at most 30 s.
wait_http() {
  local port="$1" path="${2:-/1k.html}" tries=0
  # A port some other process already holds would answer for a server that failed to bind it
  # (checked at once: a server just started has not bound its port yet).
  if [ -n "${SERVER_PID:-}" ] && ss -ltnH "( sport = :$port )" | grep -q . && ! port_held_by_server "$port"; then
    echo "error: port $port is already in use by another process: $(ss -ltnpH "( sport = :$port )")" >&2
    exit 1
  fi
  until curl -sfk -o /dev/null "$SCHEME://127.0.0.1:$port$path"; do
    tries=$((tries + 1))
    if [ -n "${SERVER_PID:-}" ] && ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "error: the server on port $port exited before answering" >&2
      exit 1
    fi
    [ "$tries" -lt 3000 ] || { echo "error: server on port $port did not answer" >&2; exit 1; }
    sleep 0.01
  done
}

# port_held_by_server PORT: whether $SERVER_PID or one of its children listens on PORT.
port_held_by_server() {
  local holders pid
  holders="$(ss -ltnpH "( sport = :$1 )")"
  for pid in "$SERVER_PID" $(pgrep -P "$SERVER_PID" || true); do
    case "$holders" in *"pid=$pid,"*) return 0 ;; esac
  done
  return 1
}

# CPU ticks (user + system) of a process and its children threads/workers.
server_ticks() {
  local total=0 pid
  for pid in "$SERVER_PID" $(pgrep -P "$SERVER_PID" || true); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}

# jvm_compiler_stat COLUMN: a column of `jstat -compiler` for the server's JVM (1: methods compiled
# so far, 4: seconds spent compiling); empty when the server is not a JVM.
jvm_compiler_stat() {
  "$JAVA_HOME/bin/jstat" -compiler "$SERVER_PID" 2>/dev/null | awk -v c="$1" 'NR == 2 {print $c}'
}

server_rss_kb() {
  local total=0 pid
  for pid in "$SERVER_PID" $(pgrep -P "$SERVER_PID" || true); do
    total=$((total + $(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")))
  done
  echo "$total"
}

# wrk output -> "rps mbps p50ms p99ms requests"
parse_wrk() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    function mb(v) { if (v ~ /GB$/) return v * 1024; if (v ~ /MB$/) return v + 0; if (v ~ /KB$/) return v / 1024; return v / 1048576 }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /requests in/ { requests = $1 }
    /^Requests\/sec:/ { rps = $2 }
    /^Transfer\/sec:/ { mbps = mb($2) }
    END { printf "%.0f %.1f %.3f %.3f %d\n", rps, mbps, p50, p99, requests }'
}

# The ratio h / n to two decimals; "-" when either figure is missing ("-") or n is 0.
fmt_ratio() { awk -v h="$1" -v n="$2" 'BEGIN { if (n > 0 && h ~ /^[0-9.]+$/) printf "%.2f", h / n; else print "-" }'; }
