#!/usr/bin/env bash
# Query and update throughput of dyndns against the stock CoreDNS file plugin
# and BIND 9, measured with dnsperf on 127.0.0.1, one server at a time.
# See bench/README.md. All knobs are environment variables:
#
#   NAMES=100000          hosts in the zone (h<i>-svc<i%100>-sfo-prod A records)
#   SECONDS_PER_RUN=10    length of every dnsperf run (-l)
#   SERVER_THREADS=1      GOMAXPROCS for CoreDNS, -n for named
#   PIN=auto              pin server to CPU 0 and dnsperf to CPU 1 (auto: when
#                         SERVER_THREADS=1 and nproc>=2; 1 forces, 0 disables)
#   QUERIES=200000        lines in the query file (dnsperf loops over it)
#   UPDATES=200000        UPDATE messages per update file (each run stops at
#                         the end of its file: -n 1, so every add is unique)
#   MAX_QPS=10000000      dnsperf -Q for the query runs
#   BIN=/tmp/dyndns-coredns  where the CoreDNS build goes
#   KEEP=0                1 keeps the temp dir (configs, logs, dnsperf output)
# The report replaces the run.sh section of bench/results.md (see splice-results.sh).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

NAMES=${NAMES:-100000}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
SERVER_THREADS=${SERVER_THREADS:-1}
PIN=${PIN:-auto}
QUERIES=${QUERIES:-200000}
UPDATES=${UPDATES:-200000}
MAX_QPS=${MAX_QPS:-10000000}
BIN=${BIN:-/tmp/dyndns-coredns}
KEEP=${KEEP:-0}
ZONE=example.org
CLIENTS=10
UPDATE_DEPTHS=(10 50)

BENCH=bench
TOOLS_PKGS=("dnsperf dnsperf" "named bind9" "dig bind9-dnsutils")
TOOLS_NEEDED=(go awk ss taskset)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

# ---------------------------------------------------------------- build
log "building $BIN"
go build -o "$BIN" ./cmd/coredns || die "go build failed"

# ---------------------------------------------------------------- data
# db.hosts: the zone as hosts register it (what dyndns loads; it derives
# svc<k>.example.org from the host names itself).
# db.full: the same zone with the service RRsets written out, so the file
# plugin and BIND give the same answers as dyndns for every query.
log "generating zone ($NAMES hosts), queries ($QUERIES), updates (${UPDATES} per run)"
awk -v n="$NAMES" -v zone="$ZONE" 'BEGIN {
	printf "$ORIGIN %s.\n$TTL 3600\n", zone
	printf "@ IN SOA ns1 hostmaster 1 3600 600 604800 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n"
	for (i = 0; i < n; i++)
		printf "h%d-svc%d-sfo-prod 60 IN A 10.%d.%d.%d\n", i, i % 100, int(i / 65536) % 256, int(i / 256) % 256, i % 256
}' >"$WORK/db.hosts"
cp "$WORK/db.hosts" "$WORK/db.full"
awk -v n="$NAMES" 'BEGIN {
	for (i = 0; i < n; i++)
		printf "svc%d 60 IN A 10.%d.%d.%d\n", i % 100, int(i / 65536) % 256, int(i / 256) % 256, i % 256
}' >>"$WORK/db.full"

# Queries: 70% random host names, 20% service names, 10% NXDOMAIN.
NSVC=$((NAMES < 100 ? NAMES : 100))
awk -v n="$NAMES" -v q="$QUERIES" -v s="$NSVC" -v zone="$ZONE" 'BEGIN {
	srand(42)
	for (j = 0; j < q; j++) {
		r = rand()
		if (r < 0.7) { i = int(rand() * n); printf "h%d-svc%d-sfo-prod.%s A\n", i, i % 100, zone }
		else if (r < 0.9) printf "svc%d.%s A\n", int(rand() * s), zone
		else printf "nx%d.%s A\n", int(rand() * 1000000), zone
	}
}' >"$WORK/queries"

# The same without service names: 90% hosts, 10% NXDOMAIN (small answers
# only, so it measures lookups rather than packing 1000-record RRsets).
awk -v n="$NAMES" -v q="$QUERIES" -v zone="$ZONE" 'BEGIN {
	srand(43)
	for (j = 0; j < q; j++) {
		if (rand() < 0.9) { i = int(rand() * n); printf "h%d-svc%d-sfo-prod.%s A\n", i, i % 100, zone }
		else printf "nx%d.%s A\n", int(rand() * 1000000), zone
	}
}' >"$WORK/queries.hosts"

# Updates: one add of a new host per message, names unique per run (prefix).
# The .svc variant also adds the host to its service RRset in the same
# message: what a BIND operator has to send to reach dyndns's end state.
gen_updates() { # prefix withsvc
	awk -v m="$UPDATES" -v p="$1" -v svc="$2" -v zone="$ZONE" 'BEGIN {
		for (i = 0; i < m; i++) {
			a = sprintf("10.%d.%d.%d", 200 + int(i / 65536) % 50, int(i / 256) % 256, i % 256)
			printf "%s\nadd %s%d-svc%d-sfo-prod 60 A %s\n", zone, p, i, i % 100, a
			if (svc) printf "add svc%d 60 A %s\n", i % 100, a
			print "send"
		}
	}'
}
for d in "${UPDATE_DEPTHS[@]}"; do
	gen_updates "u${d}x" 0 >"$WORK/updates.$d"
	gen_updates "u${d}x" 1 >"$WORK/updates.svc.$d"
done

# ---------------------------------------------------------------- servers

SERVER_PID=
SERVER_LOG=
PORT=

# start_server NAME LOG CMD...: start it, wait until it answers SOA.
# FAIL_PATTERN, when set, is a log line that means it will never load.
FAIL_PATTERN=
start_server() {
	local name=$1 logf=$2
	shift 2
	log "starting $name on 127.0.0.1:$PORT"
	"${SERVER_CPU[@]}" "$@" >"$logf" 2>&1 &
	SERVER_PID=$!
	SERVER_LOG=$logf
	PIDS+=("$SERVER_PID")
	local deadline=$((SECONDS + 60)) soa
	while :; do
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			log "$name exited before answering; its log:"
			cat "$logf" >&2
			die "$name did not start"
		fi
		if [ -n "$FAIL_PATTERN" ] && grep -q "$FAIL_PATTERN" "$logf"; then
			log "$name failed to load the zone; its log:"
			cat "$logf" >&2
			die "$name did not start"
		fi
		soa=$(dig @127.0.0.1 -p "$PORT" "$ZONE" SOA +short +time=1 +tries=1 2>/dev/null || true)
		case $soa in *hostmaster*) break ;; esac
		if [ "$SECONDS" -ge "$deadline" ]; then
			log "$name does not answer SOA after 60s; its log:"
			cat "$logf" >&2
			die "$name did not start"
		fi
		sleep 0.3
	done
	# Every server must give the same answers before it is measured.
	local host svc nx
	host=$(dig @127.0.0.1 -p "$PORT" "h1-svc1-sfo-prod.$ZONE" A +short +time=2 +tries=1)
	svc=$(dig @127.0.0.1 -p "$PORT" "svc1.$ZONE" A +tcp +short +time=5 +tries=1 | wc -l)
	nx=$(dig @127.0.0.1 -p "$PORT" "nx1.$ZONE" A +time=2 +tries=1 | awk '/status:/ {print $6}' | tr -d ,)
	log "$name answers: host=$host svc1=$svc records (tcp) nx1=$nx"
	[ "$host" = 10.0.0.1 ] || { cat "$logf" >&2; die "$name: wrong host answer '$host'"; }
	[ "$svc" -ge 1 ] || { cat "$logf" >&2; die "$name: no service answer"; }
	[ "$nx" = NXDOMAIN ] || { cat "$logf" >&2; die "$name: nx1 is '$nx', not NXDOMAIN"; }
}

stop_server() {
	kill "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=
}

# perf OUT ARGS...: run dnsperf against the current server, bounded in time.
perf() {
	local out=$1
	shift
	kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SERVER_LOG" >&2; die "server died before $out"; }
	timeout $((SECONDS_PER_RUN + 30)) "${PERF_CPU[@]}" dnsperf -s 127.0.0.1 -p "$PORT" -l "$SECONDS_PER_RUN" "$@" \
		>"$WORK/$out.txt" 2>&1 || { cat "$WORK/$out.txt" >&2; die "dnsperf $out failed"; }
	kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SERVER_LOG" >&2; die "server died during $out"; }
	local rate
	rate=$(awk '/(Queries|Updates) per second:/ {printf "%.0f", $4}' "$WORK/$out.txt")
	[ -n "$rate" ] || { cat "$WORK/$out.txt" >&2; die "no rate in dnsperf output for $out"; }
	log "$out: $rate/s  $(grep -h 'Response codes:' "$WORK/$out.txt" | sed 's/^ *//')"
	RESULT[$out]=$rate
}

query_run() {
	perf "$1.query" -d "$WORK/queries" -c "$CLIENTS" -Q "$MAX_QPS"
	perf "$1.hostquery" -d "$WORK/queries.hosts" -c "$CLIENTS" -Q "$MAX_QPS"
}
update_runs() { # name file-prefix
	local d
	for d in "${UPDATE_DEPTHS[@]}"; do
		perf "$1.update$d" -u -d "$WORK/$2.$d" -c "$CLIENTS" -q "$d" -n 1
	done
}

corefile_server() { # name port plugin-lines
	printf '%s:%s {\n    bind 127.0.0.1\n    errors\n%s\n}\n' "$ZONE" "$2" "$3" >"$WORK/$1/Corefile"
}

# --- dyndns
mkdir -p "$WORK/dyndns/zones"
cp "$WORK/db.hosts" "$WORK/dyndns/zones/db.$ZONE"
PORT=$(free_port)
corefile_server dyndns "$PORT" "    dyndns {
        directory $WORK/dyndns/zones
        allow-update 127.0.0.1
        max-zone-records 100000000
    }"
start_server dyndns "$WORK/dyndns/log" env GOMAXPROCS="$SERVER_THREADS" "$BIN" -conf "$WORK/dyndns/Corefile"
query_run dyndns
update_runs dyndns updates
stop_server
# What dyndns left on disk (a journal, once it writes one: BIND fsyncs its
# journal on every update, so this says whether the comparison is like for like).
DYNDNS_FILES=$(cd "$WORK/dyndns/zones" && find . -type f -printf '%P (%s bytes), ' | sed 's/, $//')

# --- CoreDNS file plugin (queries only: it does not take updates)
mkdir -p "$WORK/file"
cp "$WORK/db.full" "$WORK/file/db.$ZONE"
PORT=$(free_port)
corefile_server file "$PORT" "    file $WORK/file/db.$ZONE {
        reload 0
    }"
start_server file "$WORK/file/log" env GOMAXPROCS="$SERVER_THREADS" "$BIN" -conf "$WORK/file/Corefile"
query_run file
stop_server

# --- BIND 9 primary with allow-update, run as root (no -u) in the foreground.
# -f, not -g: -g ignores the logging statement. BIND's per-update lines go to
# null, while dyndns writes its audit line per update: this favours BIND.
start_named() { # name
	local dir=$WORK/$1
	mkdir -p "$dir"
	cp "$WORK/db.full" "$dir/db.$ZONE"
	PORT=$(free_port)
	named_conf "$dir" "$PORT"
	FAIL_PATTERN='not loaded due to errors' start_server "$1" "$dir/log" named -f -n "$SERVER_THREADS" -c "$dir/named.conf"
}
start_named bind
query_run bind
update_runs bind updates
stop_server

# Same BIND, fresh zone, each message also adds the service record.
start_named bindsvc
update_runs bindsvc updates.svc
stop_server

# ---------------------------------------------------------------- report

COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git status --porcelain 2>/dev/null | grep -qv '^?? bench/' && echo " (work tree has uncommitted changes)" || true)
{
	echo "# dyndns benchmark"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- commit: $COMMIT$DIRTY"
	echo "- machine: nproc=$NPROC, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
	echo "- zone: $NAMES hosts + $NSVC services; $SECONDS_PER_RUN s per run; server threads $SERVER_THREADS (GOMAXPROCS / named -n); pinned: $([ "$PIN" = 1 ] && echo 'server CPU 0, dnsperf CPU 1' || echo no)"
	echo "- $(go version | cut -d' ' -f3), $(named -v | cut -d' ' -f1,2), $(dnsperf -h 2>&1 | awk '/^Version/ {print "dnsperf " $2}')"
	echo "- queries: dnsperf -c $CLIENTS -Q $MAX_QPS; mix: 70% hosts / 20% services ($((NAMES / NSVC)) A records each, TC over UDP) / 10% NXDOMAIN; hosts only: 90% hosts / 10% NXDOMAIN"
	echo "- updates: dnsperf -u -c $CLIENTS -q 10|50, one new host per UPDATE"
	echo
	echo "| server | queries/s (mix) | queries/s (hosts only) | updates/s @10 | updates/s @50 |"
	echo "| --- | ---: | ---: | ---: | ---: |"
	echo "| dyndns | $(r dyndns.query) | $(r dyndns.hostquery) | $(r dyndns.update10) | $(r dyndns.update50) |"
	echo "| CoreDNS file | $(r file.query) | $(r file.hostquery) | — | — |"
	echo "| BIND 9 | $(r bind.query) | $(r bind.hostquery) | $(r bind.update10) | $(r bind.update50) |"
	echo "| BIND 9, each UPDATE also adds the service record | — | — | $(r bindsvc.update10) | $(r bindsvc.update50) |"
	echo "| **dyndns / file** | $(ratio dyndns.query file.query) | $(ratio dyndns.hostquery file.hostquery) | — | — |"
	echo "| **dyndns / BIND** | $(ratio dyndns.query bind.query) | $(ratio dyndns.hostquery bind.hostquery) | $(ratio dyndns.update10 bind.update10) | $(ratio dyndns.update50 bind.update50) |"
	echo "| **dyndns / BIND (host + service)** | — | — | $(ratio dyndns.update10 bindsvc.update10) | $(ratio dyndns.update50 bindsvc.update50) |"
	echo
	echo "- dyndns directory after its runs: $DYNDNS_FILES (BIND: db.$ZONE.jnl, fsynced per update)"
	echo
	echo "Response codes and losses per run:"
	echo
	for k in dyndns.query dyndns.hostquery dyndns.update10 dyndns.update50 file.query file.hostquery bind.query bind.hostquery bind.update10 bind.update50 bindsvc.update10 bindsvc.update50; do
		echo "- $k: $(codes "$k"); $(lost "$k")"
	done
} >"$WORK/report.md"
# run.sh's section of results.md (scale.sh has its own).
bash "$ROOT/bench/splice-results.sh" run.sh "$WORK/report.md" "$ROOT/bench/results.md"

OK=1
cat "$WORK/report.md"
