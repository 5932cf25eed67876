# Steps the deploy scripts share. Source it from the repository root (`cd "$(dirname "$0")/.."` first):
#
#   use_swift                            put the toolchain on PATH, or stop with what to install
#   use_private_postgres_state NAME      pick and check this checkout's Postgres state directory (sets pg_state)
#   start_private_postgres DB...         start that cluster with the databases (sets postgres_urls, one per DB)
#   stop_private_postgres                stop it again, quietly
#   start_embedded_broker BIN BOOTSTRAP_FILE LOG [CONTROL_PORT]
#                                        start `drainpipe kafka` and wait until it serves (sets broker_pid, broker_url)
#   start_private_influx STATE_DIR PORT  start deploy/start-influxdb's server there (sets influx_url, database drainpipe_test)
#   stop_private_influx                  stop it again, quietly
#   stop_processes GRACE PID...          SIGTERM, then SIGKILL whatever still runs after GRACE seconds
#   on_exit FUNCTION                     run FUNCTION once when the script ends, also on Ctrl-C (130) and SIGTERM (143)
#   swift_test_within SECONDS ARG...     `swift test ARG...`, stopped after SECONDS with the tests that never ended named

# The toolchain lives at /opt/swift on these machines; find it even when PATH does not name it.
use_swift() {
    if ! command -v swift >/dev/null && [ -x /opt/swift/usr/bin/swift ]; then export PATH=/opt/swift/usr/bin:$PATH; fi
    command -v swift >/dev/null || { echo "swift is not installed (expected at /opt/swift or on PATH)" >&2; exit 1; }
}

# Postgres runs as the postgres user, which may not be able to enter the checkout (e.g. under /root), so its data
# lives in a directory of its own, one per checkout and NAME (DRAINPIPE_PG_STATE_DIR overrides it).
use_private_postgres_state() {
    pg_state=${DRAINPIPE_PG_STATE_DIR:-/var/tmp/drainpipe-$1-$(printf %s "$PWD" | md5sum | cut -c1-8)}
    mkdir -p "$pg_state"
    [ "$(stat -c %u "$pg_state")" = "$(id -u)" ] || {
        echo "$pg_state belongs to another user; set DRAINPIPE_PG_STATE_DIR" >&2
        exit 1
    }
}

# Port: DRAINPIPE_PG_PORT (deploy/start-postgres's default when unset).
start_private_postgres() {
    mapfile -t postgres_urls < <(DRAINPIPE_STATE_DIR=$pg_state deploy/start-postgres "$@")
    [ ${#postgres_urls[@]} -ge $# ] || { echo "Postgres did not start; see the messages above" >&2; exit 1; }
}

stop_private_postgres() {
    if [ -n "${pg_state:-}" ]; then
        DRAINPIPE_STATE_DIR=$pg_state deploy/start-postgres --stop >/dev/null 2>&1 || true
    fi
}

# Starts the broker outside the caller's process group. Waits up to a minute for the bootstrap file (and the control
# port, when given) while the broker lives. On failure prints the broker's log
# to stderr and returns 1, so the caller can say what to check.
start_embedded_broker() {
    local drainpipe=$1 bootstrap_file=$2 log=$3 control_port=${4:-}
    local arguments=(kafka --bootstrap-file "$bootstrap_file")
    if [ -n "$control_port" ]; then arguments+=(--control-port "$control_port"); fi
    rm -f "$bootstrap_file"
    # In a session of its own: a Ctrl-C in the terminal reaches every process of the foreground group at once, and
    # the broker must outlive the services' final flush and commit; the caller's exit trap stops it after them.
    # (setsid does not fork here, since a background job of a script leads no group, so $! is the broker.)
    setsid "$drainpipe" "${arguments[@]}" >"$log" 2>&1 &
    broker_pid=$!
    # Creating the topics takes 1-5 s on an idle 2-core machine and has taken more than 10 s beside parallel builds:
    # wait up to a minute, as long as the broker lives.
    for _ in $(seq 1 600); do
        broker_serves "$bootstrap_file" "$control_port" && break
        kill -0 "$broker_pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$broker_pid" 2>/dev/null && broker_serves "$bootstrap_file" "$control_port"; then
        broker_url=$(cat "$bootstrap_file")
        return 0
    fi
    cat "$log" >&2
    return 1
}

# The influx-sink's tests and local runs: Debian's influxd on loopback, data under STATE_DIR, HTTP on PORT (RPC PORT+1).
start_private_influx() {
    export DRAINPIPE_INFLUX_STATE_DIR=$1 DRAINPIPE_INFLUX_PORT=$2
    influx_url=$(deploy/start-influxdb drainpipe_test) || { echo "InfluxDB did not start; see above" >&2; exit 1; }
}

stop_private_influx() {
    if [ -n "${DRAINPIPE_INFLUX_STATE_DIR:-}" ]; then deploy/start-influxdb --stop >/dev/null 2>&1 || true; fi
}

broker_serves() {
    [ -s "$1" ] || return 1
    [ -z "$2" ] || (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null
}

stop_processes() {
    local grace=$1
    shift
    [ $# -gt 0 ] || return 0
    kill -TERM "$@" 2>/dev/null || true
    local alive=1
    for _ in $(seq 1 $((grace * 5))); do
        alive=0
        for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ $alive -eq 0 ] && break
        sleep 0.2
    done
    if [ "$alive" -eq 1 ]; then
        echo "   still running after ${grace}s, killing: $*"
        kill -KILL "$@" 2>/dev/null || true
    fi
    wait "$@" 2>/dev/null || true
}

on_exit() {
    exit_function=$1
    trap run_exit_function EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# A second Ctrl-C while the exit function runs stops the script at once.
run_exit_function() {
    trap - EXIT INT TERM
    "$exit_function"
}

# A test that hangs would otherwise hold CI until its own deadline with nothing said; stopped here, the run fails
# with the names of the tests that had started and not ended (from Swift Testing's "◇ Test … started." lines).
swift_test_within() {
    local limit=$1
    shift
    local log
    log=$(mktemp)
    set +e
    timeout -k 30 "$limit" swift test "$@" 2>&1 | tee "$log"
    local status=${PIPESTATUS[0]}
    set -e
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        echo "swift test did not finish within $limit s; these tests started and never ended:" >&2
        awk '/ Test .* started\.$/ && /^◇/ { name = $0; sub(/^[^ ]+ Test /, "", name); sub(/ started\.$/, "", name)
                                          open[name] = 1 }
             / Test .* (passed|failed|skipped)/ && !/^◇/ {
                 name = $0; sub(/^[^ ]+ Test /, "", name); sub(/ (passed|failed|skipped).*$/, "", name); delete open[name]
             }
             END { for (name in open) print "  " name }' "$log" >&2
    fi
    rm -f "$log"
    return "$status"
}
