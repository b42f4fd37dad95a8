#!/usr/bin/env bash
# Scale comparison of dyndns against the CoreDNS file plugin, BIND 9 and Knot:
# equal-answer queries, updates joining a small and a big service, query
# latency under an update flood, and cold start / RSS of 100k-host zones.
# Everything on 127.0.0.1, one server at a time. See bench/README.md.
# All knobs are environment variables:
#
#   PARTS="queries updates latency start"   which parts to run
#   HOSTS=10000 SERVICE_SIZE=16    queries/latency zone: HOSTS hosts in
#                                  HOSTS/SERVICE_SIZE services
#   SMALL=1000 BIG=100000          updates: members of the small services and
#                                  of the one big service
#   SMALL_SERVICES=BIG/SMALL       how many small services (joins go round-robin
#                                  over them, so each grows as much, relatively,
#                                  as the big one)
#   START_HOSTS=100000 START_SERVICE_SIZE=100   cold start zone, shape "many"
#                                  (shape "one" puts all START_HOSTS in one service)
#   START_LIMIT=120                seconds a server gets to answer after exec
#   SECONDS_PER_RUN=10             dnsperf -l of every run
#   DEPTH=50                       outstanding UPDATEs (dnsperf -u -q)
#   RATE=5000                      dnsperf -Q of the latency runs
#   FLOOD_CLIENTS=50               clients (and outstanding UPDATEs) of the flood
#   FLOOD_RATE=0                   dnsperf -Q of the flood (0: as fast as each server goes)
#   SAMPLE=50                      service names compared with dig on every server
#   SERVER_THREADS=1               GOMAXPROCS, named -n, knotd udp/tcp-workers
#   PIN=auto                       server on CPU 0, clients on CPU 1 (as run.sh)
#   QUERIES=200000 UPDATES=200000  lines of query files, messages of update files
#   BIN=/tmp/dyndns-coredns  KEEP=0
#   SRC=worktree                   what to build: the work tree, or a commit
#                                  (HEAD, a hash: built from git archive in a
#                                  temp dir, the work tree is not touched)
#   BUILD=1                        0: use BIN as it is
#   RESULTS=bench/results.md       where the "scale.sh" section is written
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

PARTS=${PARTS:-queries updates latency start}
HOSTS=${HOSTS:-10000}
SERVICE_SIZE=${SERVICE_SIZE:-16}
SMALL=${SMALL:-1000}
BIG=${BIG:-100000}
SMALL_SERVICES=${SMALL_SERVICES:-$(((BIG + SMALL - 1) / SMALL))}
START_HOSTS=${START_HOSTS:-100000}
START_SERVICE_SIZE=${START_SERVICE_SIZE:-100}
START_LIMIT=${START_LIMIT:-120}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
DEPTH=${DEPTH:-50}
RATE=${RATE:-5000}
FLOOD_CLIENTS=${FLOOD_CLIENTS:-50}
FLOOD_RATE=${FLOOD_RATE:-0}
SAMPLE=${SAMPLE:-50}
SERVER_THREADS=${SERVER_THREADS:-1}
PIN=${PIN:-auto}
QUERIES=${QUERIES:-200000}
UPDATES=${UPDATES:-200000}
BIN=${BIN:-/tmp/dyndns-coredns}
KEEP=${KEEP:-0}
BUILD=${BUILD:-1}
SRC=${SRC:-worktree}
RESULTS=${RESULTS:-$ROOT/bench/results.md}
ZONE=example.org
CLIENTS=10
NSVC=$(((HOSTS + SERVICE_SIZE - 1) / SERVICE_SIZE))
START_NSVC=$(((START_HOSTS + START_SERVICE_SIZE - 1) / START_SERVICE_SIZE))
COMMAND="$(for v in PARTS HOSTS SERVICE_SIZE SMALL BIG SMALL_SERVICES START_HOSTS START_SERVICE_SIZE START_LIMIT SECONDS_PER_RUN DEPTH RATE FLOOD_CLIENTS FLOOD_RATE SERVER_THREADS SRC; do
	# only the knobs that differ from the defaults
	case "$v=${!v}" in
	"PARTS=queries updates latency start" | HOSTS=10000 | SERVICE_SIZE=16 | SMALL=1000 | BIG=100000 | SMALL_SERVICES=$(((BIG + SMALL - 1) / SMALL)) | START_HOSTS=100000 | START_SERVICE_SIZE=100 | START_LIMIT=120 | SECONDS_PER_RUN=10 | DEPTH=50 | RATE=5000 | FLOOD_CLIENTS=50 | FLOOD_RATE=0 | SERVER_THREADS=1 | SRC=worktree) ;;
	*) printf "%s='%s' " "$v" "${!v}" ;;
	esac
done)bash bench/scale.sh"
T0=$SECONDS

BENCH=scale
TOOLS_PKGS=("dnsperf dnsperf" "named bind9" "dig bind9-dnsutils" "knotd knot")
TOOLS_NEEDED=(go awk ss taskset timeout)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
want() { [[ " $PARTS " == *" $1 "* ]]; }

# ---------------------------------------------------------------- build
build_coredns

# ---------------------------------------------------------------- data
# Every zone is written twice:
#   NAME.hosts  what hosts register: SOA, NS, ns1 and the host A records.
#               dyndns loads it and derives the service names itself.
#   NAME.full   the same plus every derived service RRset written out, for
#               the servers that derive nothing (file, BIND, Knot), so all
#               of them give the same answers.
# A generator prints "host NAME ADDR" and "svc NAME ADDR" lines; mkzone turns
# them into both files. Hosts come first, so the last host line is the name
# "loaded last", the one start-up waits for.
# Host i has the address 10.<i>>16 & 127>.<i>>8 & 255>.<i & 255>.
mkzone() { # name  (generator on stdin)
	awk -v zone="$ZONE" -v hosts="$WORK/$1.hosts" -v full="$WORK/$1.full" -v svcs="$WORK/$1.svcs" -v last="$WORK/$1.last" '
	BEGIN {
		hdr = sprintf("$ORIGIN %s.\n$TTL 3600\n@ IN SOA ns1 hostmaster 1 3600 600 604800 60\n@ IN NS ns1\nns1 IN A 127.0.0.1\n", zone)
		printf "%s", hdr >hosts; printf "%s", hdr >full
	}
	$1 == "host" { line = sprintf("%s 60 IN A %s\n", $2, $3); printf "%s", line >hosts; printf "%s", line >full; lh = $2; la = $3; next }
	$1 == "svc" { printf "%s 60 IN A %s\n", $2, $3 >svcs; next }
	END {
		close(svcs)
		while ((getline l <svcs) > 0) print l >full
		print lh "." zone, la >last
	}'
	rm -f "$WORK/$1.svcs"
}
addr_awk='function addr(i) { return sprintf("10.%d.%d.%d", int(i / 65536) % 128, int(i / 256) % 256, i % 256) }'

# queries/latency zone: HOSTS hosts h<i>-svc<i % NSVC>-sfo-prod, NSVC services.
gen_qzone() {
	awk -v n="$HOSTS" -v s="$NSVC" "$addr_awk"'
	BEGIN {
		for (i = 0; i < n; i++) printf "host h%d-svc%d-sfo-prod %s\n", i, i % s, addr(i)
		for (i = 0; i < n; i++) printf "svc svc%d %s\n", i % s, addr(i)
	}'
}
# updates zones: "small", SMALL_SERVICES services small<k> of SMALL hosts
# each, and "big", one service "big" of BIG hosts (the same number of hosts
# by default, so only the shape differs).
gen_uzone() { # small|big
	awk -v kind="$1" -v big="$BIG" -v small="$SMALL" -v ns="$SMALL_SERVICES" "$addr_awk"'
	BEGIN {
		if (kind == "small") {
			m = small * ns
			for (i = 0; i < m; i++) printf "host s%d-small%d-sfo-prod %s\n", i, i % ns, addr(i)
			for (i = 0; i < m; i++) printf "svc small%d %s\n", i % ns, addr(i)
		} else {
			for (i = 0; i < big; i++) printf "host b%d-big-sfo-prod %s\n", i, addr(i)
			for (i = 0; i < big; i++) printf "svc big %s\n", addr(i)
		}
	}'
}
# cold start zones: START_HOSTS hosts in START_NSVC services ("many") or all
# in the service "web" ("one").
gen_szone() { # services
	awk -v n="$START_HOSTS" -v s="$1" "$addr_awk"'
	BEGIN {
		for (i = 0; i < n; i++) printf "host h%d-%s-sfo-prod %s\n", i, s == 1 ? "web" : "svc" i % s, addr(i)
		for (i = 0; i < n; i++) printf "svc %s %s\n", s == 1 ? "web" : "svc" i % s, addr(i)
	}'
}

if want queries || want latency; then
	log "generating the query zone: $HOSTS hosts in $NSVC services of $SERVICE_SIZE"
	gen_qzone | mkzone q
	# 70% random hosts, 20% random services, 10% NXDOMAIN, as run.sh's mix.
	awk -v n="$HOSTS" -v q="$QUERIES" -v s="$NSVC" -v zone="$ZONE" 'BEGIN {
		srand(42)
		for (j = 0; j < q; j++) {
			r = rand()
			if (r < 0.7) { i = int(rand() * n); printf "h%d-svc%d-sfo-prod.%s A\n", i, i % s, zone }
			else if (r < 0.9) printf "svc%d.%s A\n", int(rand() * s), zone
			else printf "nx%d.%s A\n", int(rand() * 1000000), zone
		}
	}' >"$WORK/queries"
fi
if want updates; then
	log "generating the update zones: $SMALL_SERVICES services of $SMALL hosts, one service of $BIG"
	gen_uzone small | mkzone small
	gen_uzone big | mkzone big
	# X.static: the hosts, and 16 records at each service name that are no
	# member's address (a static backend): dyndns serves their union.
	for size in small big; do
		awk -v kind=$size -v ns="$SMALL_SERVICES" 'BEGIN {
			n = kind == "small" ? ns : 1
			for (s = 0; s < n; s++)
				for (j = 1; j <= 16; j++)
					printf "%s 60 IN A 172.16.%d.%d\n", kind == "small" ? "small" s : "big", s, j
		}' | cat "$WORK/$size.hosts" - >"$WORK/$size.static"
	done
	# One UPDATE per new host joining a service; "seed" messages also add the
	# host's address at the service name (what the seed clients do by hand).
	# Names and addresses are unique per file (prefix, second octet 128+).
	gen_joins() { # prefix big|small seed
		awk -v m="$UPDATES" -v p="$1" -v kind="$2" -v seed="$3" -v ns="$SMALL_SERVICES" -v zone="$ZONE" -v r="$4" 'BEGIN {
			for (i = 0; i < m; i++) {
				a = sprintf("10.%d.%d.%d", 128 + r * 16 + int(i / 65536) % 16, int(i / 256) % 256, i % 256)
				svc = kind == "big" ? "big" : "small" (i % ns)
				printf "%s\nadd %s%d-%s-sfo-prod 60 A %s\n", zone, p, i, svc, a
				if (seed) printf "add %s 60 A %s\n", svc, a
				print "send"
			}
		}'
	}
	gen_joins js small 0 0 >"$WORK/joins.plain.small"
	gen_joins jb big 0 1 >"$WORK/joins.plain.big"
	cp "$WORK/joins.plain.small" "$WORK/joins.static.small"
	cp "$WORK/joins.plain.big" "$WORK/joins.static.big"
	gen_joins ks small 1 2 >"$WORK/joins.seed.small"
	gen_joins kb big 1 3 >"$WORK/joins.seed.big"
	# Seed churn: UPDATE 2j takes member j out (its host record and its
	# record at the service name), UPDATE 2j+1 puts it back, so the services
	# keep their size; the leaves delete from the middle of a big explicit set.
	gen_churn() { # big|small
		awk -v m="$UPDATES" -v kind="$1" -v big="$BIG" -v small="$SMALL" -v ns="$SMALL_SERVICES" -v zone="$ZONE" "$addr_awk"'
		BEGIN {
			n = kind == "big" ? big : small * ns
			for (i = 0; i < m; i++) {
				j = int(i / 2) % n
				if (kind == "big") { host = sprintf("b%d-big-sfo-prod", j); svc = "big" }
				else { host = sprintf("s%d-small%d-sfo-prod", j, j % ns); svc = "small" (j % ns) }
				print zone
				if (i % 2 == 0) printf "delete %s A\ndelete %s A %s\n", host, svc, addr(j)
				else printf "add %s 60 A %s\nadd %s 60 A %s\n", host, addr(j), svc, addr(j)
				print "send"
			}
		}'
	}
	gen_churn small >"$WORK/joins.churn.small"
	gen_churn big >"$WORK/joins.churn.big"
fi
if want latency; then
	# The flood renumbers hosts of the query zone: message i moves host
	# i % HOSTS from its address of round r = i / HOSTS to that of round r+1
	# (round 0 is the zone's address, round r the same with first octet 10+r),
	# so the zone keeps its size and the query answers theirs. dyndns gets
	# the host change only (it moves the address in the service itself);
	# BIND also gets the service record change, to stay with the same answers.
	gen_flood() { # seed
		awk -v n="$HOSTS" -v s="$NSVC" -v m="$UPDATES" -v seed="$1" -v zone="$ZONE" "$addr_awk"'
		function ra(h, r,   a) { a = addr(h); if (r > 0) sub(/^10\./, (10 + r) ".", a); return a }
		BEGIN {
			if (m > n * 200) m = n * 200
			for (i = 0; i < m; i++) {
				h = i % n; r = int(i / n)
				name = sprintf("h%d-svc%d-sfo-prod", h, h % s)
				printf "%s\ndelete %s A\nadd %s 60 A %s\n", zone, name, name, ra(h, r + 1)
				if (seed) printf "delete svc%d A %s\nadd svc%d 60 A %s\n", h % s, ra(h, r), h % s, ra(h, r + 1)
				print "send"
			}
		}'
	}
	gen_flood 0 >"$WORK/flood.hosts"
	gen_flood 1 >"$WORK/flood.seed"
fi
if want start; then
	log "generating the cold start zones: $START_HOSTS hosts in $START_NSVC services, and in one"
	gen_szone "$START_NSVC" | mkzone many
	gen_szone 1 | mkzone one
fi

# ---------------------------------------------------------------- servers

SERVER_PID=
SERVER_LOG=
SERVER_NAME=
PORT=
UP_SECS=
UP_RSS=
UP_HWM=
UP_STATUS=
FAIL_PATTERN=

qdig() { "${PERF_CPU[@]}" dig @127.0.0.1 -p "$PORT" "$@"; }

# launch NAME ZONENAME LIMIT CMD...: start a server and wait until it answers
# the last host of zone ZONENAME with its address, at most LIMIT seconds.
# Sets UP_SECS (exec to first right answer), UP_RSS and UP_HWM (VmRSS and
# VmHWM of the server, kB, right then). Returns 1 with UP_STATUS set when the
# server exits, logs FAIL_PATTERN or is not up in time (it is killed then).
launch() {
	local name=$1 zname=$2 limit=$3
	shift 3
	local lastname lastaddr t0 now ans
	read -r lastname lastaddr <"$WORK/$zname.last"
	SERVER_NAME=$name
	SERVER_LOG=$WORK/$name.log
	log "starting $name on 127.0.0.1:$PORT (limit ${limit}s)"
	t0=$EPOCHREALTIME
	"${SERVER_CPU[@]}" "$@" >"$SERVER_LOG" 2>&1 &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	while :; do
		ans=$(qdig "$lastname" A +short +time=1 +tries=1 2>/dev/null | grep -E '^[0-9.]+$' || true)
		now=$EPOCHREALTIME
		if [ "$ans" = "$lastaddr" ]; then
			UP_SECS=$(awk -v a="$t0" -v b="$now" 'BEGIN {printf "%.2f", b - a}')
			UP_RSS=$(awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status")
			UP_HWM=$(awk '/^VmHWM:/ {print $2}' "/proc/$SERVER_PID/status")
			UP_STATUS=up
			log "$name answers $lastname after ${UP_SECS}s, VmRSS $((UP_RSS / 1024)) MiB, VmHWM $((UP_HWM / 1024)) MiB"
			return 0
		fi
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			UP_STATUS="exited: $(tail -n 1 "$SERVER_LOG" | cut -c1-120)"
			log "$name exited before answering; its log:"
			tail -n 20 "$SERVER_LOG" >&2
			wait "$SERVER_PID" 2>/dev/null || true
			return 1
		fi
		if [ -n "$FAIL_PATTERN" ] && grep -qiE "$FAIL_PATTERN" "$SERVER_LOG"; then
			UP_STATUS="failed: $(grep -iE "$FAIL_PATTERN" "$SERVER_LOG" | head -n 1 | sed -E "s/^[0-9]{2}-[A-Za-z]{3}-[0-9]{4} [0-9:.]+ //; s/^[0-9]{4}-[0-9-]+T[0-9:+]+ //; s/, file '[^']*'//; s/^error: //" | cut -c1-160)"
			log "$name failed to load; its log:"
			tail -n 20 "$SERVER_LOG" >&2
			stop_server
			return 1
		fi
		if awk -v a="$t0" -v b="$now" -v l="$limit" 'BEGIN {exit !(b - a >= l)}'; then
			UP_STATUS="not up after ${limit} s"
			UP_RSS=$(awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || true)
			log "$name: $UP_STATUS (VmRSS ${UP_RSS:-?} kB); last log lines:"
			tail -n 5 "$SERVER_LOG" >&2
			stop_server
			return 1
		fi
		sleep 0.05
	done
}

stop_server() {
	[ -n "$SERVER_PID" ] || return 0
	kill "$SERVER_PID" 2>/dev/null || true
	# a server that ignores SIGTERM (or takes long to snapshot) is killed
	local i
	for i in $(seq 300); do
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=
}

# Server configurations. Each start_* takes a NAME (its directory under WORK),
# a zone (q, small, big, many, one), a time limit and which file of the zone
# to load (default: .hosts for dyndns, .full for the rest), and leaves the
# server running as SERVER_PID on PORT.
start_dyndns() { # name zone limit [hosts|full]
	local dir=$WORK/$1
	mkdir -p "$dir/zones"
	cp "$WORK/$2.${4:-hosts}" "$dir/zones/db.$ZONE"
	PORT=$(free_port)
	cat >"$dir/Corefile" <<-EOF
		$ZONE:$PORT {
		    bind 127.0.0.1
		    errors
		    dyndns {
		        directory $dir/zones
		        allow-update 127.0.0.1
		        max-zone-records 100000000
		    }
		}
	EOF
	FAIL_PATTERN='^\[(ERROR|FATAL)\]|^Error' launch "$1" "$2" "$3" env GOMAXPROCS="$SERVER_THREADS" "$BIN" -conf "$dir/Corefile"
}
start_file() { # name zone limit [full|hosts]
	local dir=$WORK/$1
	mkdir -p "$dir"
	cp "$WORK/$2.${4:-full}" "$dir/db.$ZONE"
	PORT=$(free_port)
	cat >"$dir/Corefile" <<-EOF
		$ZONE:$PORT {
		    bind 127.0.0.1
		    errors
		    file $dir/db.$ZONE {
		        reload 0
		    }
		}
	EOF
	FAIL_PATTERN='^\[(ERROR|FATAL)\]|^Error' launch "$1" "$2" "$3" env GOMAXPROCS="$SERVER_THREADS" "$BIN" -conf "$dir/Corefile"
}
# BIND 9 primary with allow-update, as in run.sh: run as root in the
# foreground (-f: -g would ignore the logging statement), per-update log
# lines to null (dyndns still writes its audit line per update: this favours
# BIND), RRsets of any size.
start_named() { # name zone limit [full|hosts]
	local dir=$WORK/$1
	mkdir -p "$dir"
	cp "$WORK/$2.${4:-full}" "$dir/db.$ZONE"
	PORT=$(free_port)
	named_conf "$dir" "$PORT"
	FAIL_PATTERN='not loaded due to errors|loading from master file .* failed' launch "$1" "$2" "$3" named -f -n "$SERVER_THREADS" -c "$dir/named.conf"
}
# Knot DNS: queries only (the comparisons with updates are dyndns and BIND).
# No journal, no zone file sync, no semantic checks beyond the mandatory ones.
start_knot() { # name zone limit [full|hosts]
	local dir=$WORK/$1
	mkdir -p "$dir"
	cp "$WORK/$2.${4:-full}" "$dir/db.$ZONE"
	PORT=$(free_port)
	cat >"$dir/knot.conf" <<-EOF
		server:
		    rundir: "$dir"
		    listen: 127.0.0.1@$PORT
		    udp-workers: $SERVER_THREADS
		    tcp-workers: $SERVER_THREADS
		    background-workers: 1
		log:
		  - target: stderr
		    any: info
		database:
		    storage: "$dir"
		template:
		  - id: default
		    storage: "$dir"
		    zonefile-sync: -1
		    zonefile-load: whole
		    journal-content: none
		zone:
		  - domain: $ZONE
		    file: "$dir/db.$ZONE"
	EOF
	FAIL_PATTERN='failed to (load|parse)|zone file .*error|error.*zone file|invalid' launch "$1" "$2" "$3" knotd -c "$dir/knot.conf"
}

# ---------------------------------------------------------------- checks
# answers NAME...: the sorted answer RRsets of NAMEs (A, over TCP: a service
# of SERVICE_SIZE records may not fit 512 octets), one "name ttl class type
# rdata" line each, names lower case.
answers() {
	qdig +tcp +noall +answer +time=5 +tries=1 "$@" | awk '{print tolower($1), $2, $3, $4, $5}' | sort
}
# expected FILE NAME...: the A records of NAMEs in the generated zone FILE
# (q.full: what every server must answer).
expected() {
	local z=$1
	shift
	printf '%s\n' "$@" | awk -v zone="$ZONE" '
		FNR == NR { want[tolower($1) "."] = 1; next }
		$3 == "IN" && $4 == "A" && (tolower($1) "." zone ".") in want { print tolower($1) "." zone ".", $2, $3, $4, $5 }
	' - "$WORK/$z" | sort
}
# verify FILE NAME...: the current server answers NAMEs exactly as the
# generated zone FILE says (X.full: with the service records written out,
# what dyndns derives from X.hosts), and nx1 NXDOMAIN.
verify() {
	local z=$1
	shift
	answers "$@" >"$WORK/$SERVER_NAME.answers"
	expected "$z" "$@" >"$WORK/$z.expected"
	if ! cmp -s "$WORK/$z.expected" "$WORK/$SERVER_NAME.answers"; then
		log "$SERVER_NAME gives other answers than $z says:"
		diff "$WORK/$z.expected" "$WORK/$SERVER_NAME.answers" | head -n 20 >&2 || true
		die "$SERVER_NAME: answers differ (see $WORK/$SERVER_NAME.answers)"
	fi
	local nx
	nx=$(qdig "nx1.$ZONE" A +time=2 +tries=1 | awk '/status:/ {print $6}' | tr -d ,)
	[ "$nx" = NXDOMAIN ] || die "$SERVER_NAME: nx1.$ZONE is '$nx', not NXDOMAIN"
	log "$SERVER_NAME: $# names ($(wc -l <"$WORK/$SERVER_NAME.answers") records) as expected, nx1 NXDOMAIN"
}
# sample_q: SAMPLE service names spread over the query zone (first and last
# included) and 10 hosts.
sample_q() {
	awk -v n="$HOSTS" -v s="$NSVC" -v k="$SAMPLE" -v zone="$ZONE" 'BEGIN {
		if (k > s) k = s
		for (j = 0; j < k; j++) printf "svc%d.%s\n", (k > 1 ? int(j * (s - 1) / (k - 1)) : 0), zone
		for (j = 0; j < 10; j++) { i = int(j * (n - 1) / 9); printf "h%d-svc%d-sfo-prod.%s\n", i, i % s, zone }
	}'
}
# consistent: after updates, every sampled service answers exactly the
# addresses its member hosts answer (no stale, no missing address).
consistent() {
	local k j n=0 bad=0
	for k in $(awk -v s="$NSVC" 'BEGIN {for (j = 0; j < 5; j++) print int(j * (s - 1) / 4)}'); do
		local members=()
		for ((j = k; j < HOSTS; j += NSVC)); do members+=("h$j-svc$k-sfo-prod.$ZONE"); done
		diff <(answers "${members[@]}" | awk '{print $5}' | sort) \
			<(answers "svc$k.$ZONE" | awk '{print $5}' | sort) >/dev/null || {
			bad=1
			log "$SERVER_NAME: svc$k does not answer exactly its members' addresses"
		}
		n=$((n + 1))
	done
	[ "$bad" = 0 ] || die "$SERVER_NAME: inconsistent services after the update flood"
	log "$SERVER_NAME: $n sampled services answer exactly their members' addresses"
}

# ---------------------------------------------------------------- dnsperf
# perf OUT SECONDS ARGS...: dnsperf against the current server, bounded in time.
perf() {
	local out=$1 secs=$2
	shift 2
	kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$SERVER_LOG" >&2; die "server died before $out"; }
	timeout $((secs + 30)) "${PERF_CPU[@]}" dnsperf -s 127.0.0.1 -p "$PORT" -l "$secs" "$@" \
		>"$WORK/$out.txt" 2>"$WORK/$out.err" || { tail -n 20 "$WORK/$out.txt" "$WORK/$out.err" >&2; die "dnsperf $out failed"; }
	kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$SERVER_LOG" >&2; die "server died during $out"; }
	local rate
	rate=$(awk '/(Queries|Updates) per second:/ {printf ($4 < 10 ? "%.1f" : "%.0f"), $4}' "$WORK/$out.txt")
	[ -n "$rate" ] || { tail -n 20 "$WORK/$out.txt" >&2; die "no rate in dnsperf output for $out"; }
	RESULT[$out]=$rate
	log "$out: $rate/s  $(codes "$out")  $(lost "$out")"
}
# rcvbuf: the machine's UDP receive-buffer overflows so far (RcvbufErrors of
# /proc/net/snmp): datagrams the kernel dropped because a socket was not read
# fast enough. Machine-wide, but nothing else here should overflow.
rcvbuf() { awk '/^Udp:/ { if (!h) { for (i = 2; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1 } else print $c }' /proc/net/snmp; }
# Every answered update must be NOERROR: REFUSED or SERVFAIL would mean the
# rate measures an error path. Updates that get no answer within dnsperf's
# 5 s timeout are "lost": a finding, not a failure; the tables show them.
all_noerror() {
	local c
	c=$(codes "$1")
	case $c in "" | "NOERROR "*"(100.00%)") ;; *) die "$1: not every response is NOERROR: $c" ;; esac
	[ "$(nlost "$1")" = 0 ] || log "warning: $1: $(lost "$1") (no answer within 5 s)"
}
nlost() { awk '/(Queries|Updates) lost:/ {print $3; exit}' "$WORK/$1.txt"; }
# rl KEY: the rate, and the lost updates or queries when there are any.
rl() {
	local n
	if [ -n "${RESULT[$1.status]:-}" ]; then echo "${RESULT[$1.status]}"; return; fi
	n=$([ -e "$WORK/$1.txt" ] && nlost "$1" || true)
	if [ -n "$n" ] && [ "$n" != 0 ]; then echo "$(r "$1") ($n lost)"; else r "$1"; fi
}
# pct OUT: p50 p99 p99.9 (ms) of the per-query latencies dnsperf -v printed;
# a lost query counts as slower than any answer ("lost" when a percentile
# falls on one).
pct() {
	awk '$1 == ">" { if ($2 == "T") n_lost++; else { n++; print $NF } }
		END { printf "%d\n", n_lost > "/dev/stderr" }' "$WORK/$1.txt" 2>"$WORK/$1.lost" | sort -g >"$WORK/$1.lat"
	awk -v lostn="$(cat "$WORK/$1.lost")" '
		{ v[NR] = $1 }
		END {
			tot = NR + lostn
			if (tot == 0) { print "— — —"; exit }
			split("0.5 0.99 0.999", p, " ")
			for (j = 1; j <= 3; j++) {
				k = int(p[j] * tot + 0.999999); if (k < 1) k = 1
				printf "%s%s", (k > NR ? "lost" : sprintf("%.3f", v[k] * 1000)), (j < 3 ? " " : "\n")
			}
		}' "$WORK/$1.lat"
}

# ================================================================ 1. queries
if want queries; then
	log "== 1. queries on equal answers ($HOSTS hosts, $NSVC services of $SERVICE_SIZE)"
	mapfile -t QSAMPLE < <(sample_q)
	for srv in dyndns file bind knot; do
		case $srv in
		dyndns) fn=start_dyndns ;;
		file) fn=start_file ;;
		bind) fn=start_named ;;
		knot) fn=start_knot ;;
		esac
		$fn "q.$srv" q 60 || die "q.$srv did not start: $UP_STATUS"
		verify q.full "${QSAMPLE[@]}"
		perf "q.$srv" "$SECONDS_PER_RUN" -d "$WORK/queries" -c "$CLIENTS" -Q 10000000
		stop_server
	done
fi

# ================================================================ 2. updates
if want updates; then
	log "== 2. updates joining a service of $SMALL and one of $BIG ($DEPTH outstanding)"
	# Every measurement starts a server on a fresh copy of its zone, so a run
	# never inherits the joins (or the backlog) of another. Zone variants:
	#   X.hosts  the hosts only: dyndns derives the services; BIND has none
	#   X.full   the service records written out too: for dyndns they are
	#            explicit records merged with the derived ones (every seed
	#            client added its own), for BIND the only ones
	#   X.static the hosts and 16 other records at each service name
	# "plain" and "static" joins add the host; "seed" joins the host and its
	# service record; "churn" takes seed members out and puts them back.
	for size in small big; do
		if [ $size = small ]; then svc=small0; else svc=big; fi
		for run in dyndns.plain dyndns.seed dyndns.static dyndns.churn bind.plain bind.seed bind.churn; do
			k=u.$run.$size
			case $run in
			dyndns.plain) start_dyndns "$k" "$size" "$START_LIMIT" ;;
			dyndns.seed | dyndns.churn) start_dyndns "$k" "$size" "$START_LIMIT" full ;;
			dyndns.static) start_dyndns "$k" "$size" "$START_LIMIT" static ;;
			bind.plain) start_named "$k" "$size" "$START_LIMIT" hosts ;;
			bind.seed | bind.churn) start_named "$k" "$size" "$START_LIMIT" ;;
			esac || {
				RESULT[$k.status]=$UP_STATUS
				log "$k: $UP_STATUS"
				continue
			}
			# A service of up to a few thousand records fits a TCP answer:
			# compare it; otherwise compare a host only (BIND "plain" has no
			# service records, so only hosts there too).
			names=("$(awk 'NR == 6 {print $1}' "$WORK/$size.hosts").$ZONE" "$(cut -d' ' -f1 "$WORK/$size.last")")
			if [ $run != bind.plain ] && [ $run != dyndns.static ] && [ "$(grep -c "^$svc " "$WORK/$size.full")" -le 4000 ]; then names+=("$svc.$ZONE"); fi
			case $run in
			bind.plain | dyndns.static) verify "$size.hosts" "${names[@]}" ;;
			*) verify "$size.full" "${names[@]}" ;;
			esac
			perf "$k" "$SECONDS_PER_RUN" -u -d "$WORK/joins.${run#*.}.$size" -c "$CLIENTS" -q "$DEPTH" -n 1
			all_noerror "$k"
			stop_server
		done
	done
fi

# ================================================================ 3. latency
if want latency; then
	log "== 3. query latency at $RATE queries/s, idle and under a $FLOOD_CLIENTS-client update flood"
	mapfile -t QSAMPLE < <(sample_q)
	# Up to a second's worth of queries outstanding, so a slow server does not
	# make dnsperf send less (which would hide its latency); the table shows
	# the rate actually sent.
	LAT_Q=$((RATE > 100 ? RATE : 100))
	FLOOD_Q=()
	[ "$FLOOD_RATE" = 0 ] || FLOOD_Q=(-Q "$FLOOD_RATE")
	# file is the floor: CoreDNS answering the same queries from the zone
	# written out, and the UPDATEs of dyndns's flood, at the rate dyndns
	# answered them, with NOTIMP at once. What its queries lose in that flood
	# is what the serving path, the kernel and the clients cost, with no update
	# work at all. (NOTIMP changes nothing, so its flood may repeat the file.)
	for srv in dyndns bind file; do
		passes=(-n 1)
		case $srv in
		dyndns) fn=start_dyndns flood=flood.hosts ;;
		bind) fn=start_named flood=flood.seed ;;
		file)
			fn=start_file flood=flood.hosts passes=()
			[ "$FLOOD_RATE" != 0 ] || FLOOD_Q=(-Q "${RESULT[l.dyndns.flood]}")
			;;
		esac
		$fn "l.$srv" q 60 || die "l.$srv did not start: $UP_STATUS"
		verify q.full "${QSAMPLE[@]}"
		d0=$(rcvbuf)
		perf "l.$srv.idle" "$SECONDS_PER_RUN" -d "$WORK/queries" -c "$CLIENTS" -Q "$RATE" -q "$LAT_Q" -v
		# The flood starts a second before the measured run and ends after it.
		RESULT[l.$srv.idle.drops]=$(($(rcvbuf) - d0))
		kill -0 "$SERVER_PID" 2>/dev/null || die "server died"
		d0=$(rcvbuf)
		timeout $((SECONDS_PER_RUN + 40)) "${PERF_CPU[@]}" dnsperf -s 127.0.0.1 -p "$PORT" -l $((SECONDS_PER_RUN + 2)) \
			-u -d "$WORK/$flood" -c "$FLOOD_CLIENTS" -q "$FLOOD_CLIENTS" "${passes[@]}" "${FLOOD_Q[@]}" >"$WORK/l.$srv.flood.txt" 2>&1 &
		FLOOD_PID=$!
		PIDS+=("$FLOOD_PID")
		sleep 1
		perf "l.$srv.busy" "$SECONDS_PER_RUN" -d "$WORK/queries" -c "$CLIENTS" -Q "$RATE" -q "$LAT_Q" -v
		wait "$FLOOD_PID" || die "flood dnsperf against $srv failed: $(tail -n 3 "$WORK/l.$srv.flood.txt")"
		RESULT[l.$srv.busy.drops]=$(($(rcvbuf) - d0))
		log "UDP receive-buffer drops: idle ${RESULT[l.$srv.idle.drops]}, flood ${RESULT[l.$srv.busy.drops]}"
		RESULT[l.$srv.flood]=$(awk '/Updates per second:/ {printf ($4 < 10 ? "%.1f" : "%.0f"), $4}' "$WORK/l.$srv.flood.txt")
		log "l.$srv.flood: ${RESULT[l.$srv.flood]} updates/s  $(codes "l.$srv.flood")"
		if [ "$srv" != file ]; then
			all_noerror "l.$srv.flood"
			consistent
		fi
		stop_server
		for m in idle busy; do
			read -r a b c < <(pct "l.$srv.$m")
			RESULT[l.$srv.$m.p50]=$a RESULT[l.$srv.$m.p99]=$b RESULT[l.$srv.$m.p999]=$c
			log "l.$srv.$m: p50 $a ms, p99 $b ms, p99.9 $c ms (lost $(cat "$WORK/l.$srv.$m.lost"))"
		done
	done
fi

# ================================================================ 4. cold start
if want start; then
	log "== 4. cold start and RSS: $START_HOSTS hosts in $START_NSVC services of $START_SERVICE_SIZE, and in one"
	for shape in many one; do
		# dyndns loads the hosts and derives; "dyndnsfull" loads the zone BIND
		# and Knot load, service records written out (merged with the derived).
		for srv in dyndns dyndnsfull bind knot; do
			k=s.$srv.$shape
			variant=
			case $srv in
			dyndns) fn=start_dyndns ;;
			dyndnsfull) fn=start_dyndns variant=full ;;
			bind) fn=start_named ;;
			knot) fn=start_knot ;;
			esac
			if $fn "$k" "$shape" "$START_LIMIT" $variant; then
				RESULT[$k.secs]=$UP_SECS RESULT[$k.rss]=$((UP_RSS / 1024)) RESULT[$k.hwm]=$((UP_HWM / 1024))
				stop_server
			else
				RESULT[$k.status]=$UP_STATUS
			fi
		done
	done
fi

# ---------------------------------------------------------------- report
startcell() { # key: seconds or the reason it is not up
	if [ -n "${RESULT[$1.secs]:-}" ]; then echo "${RESULT[$1.secs]} s"; else echo "${RESULT[$1.status]:-—}"; fi
}
shapelabel() { if [ "$1" = many ]; then echo "$START_NSVC services of $START_SERVICE_SIZE"; else echo "1 service of $START_HOSTS"; fi; }
memcell() { if [ -n "${RESULT[$1.rss]:-}" ]; then echo "${RESULT[$1.rss]} MiB (peak ${RESULT[$1.hwm]})"; else echo "—"; fi; }

REPORT=$WORK/report.md
{
	echo "# Scale comparison (bench/scale.sh)"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); command: \`$COMMAND\`; took $(((SECONDS - T0) / 60)) min $(((SECONDS - T0) % 60)) s"
	echo "- dyndns built from: $BUILT_FROM"
	echo "- machine: nproc=$NPROC, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo); server threads $SERVER_THREADS; pinned: $([ "$PIN" = 1 ] && echo 'server CPU 0, dnsperf and dig CPU 1' || echo no)"
	echo "- $(go version | cut -d' ' -f3), $(named -v | cut -d' ' -f1,2), Knot $(knotd -V | awk '{print $NF}'), $(dnsperf -h 2>&1 | awk '/^Version/ {print "dnsperf " $2}'); $SECONDS_PER_RUN s per dnsperf run"
	if want queries; then
		echo
		echo "## 1. Queries, every server giving the same answers"
		echo
		echo "$HOSTS hosts in $NSVC services of $SERVICE_SIZE; dyndns derives the services, the others load them written out. ${#QSAMPLE[@]} names (${SAMPLE} services, 10 hosts) and an NXDOMAIN checked with dig on every server first. dnsperf -c $CLIENTS, no rate limit; 70% hosts / 20% services / 10% NXDOMAIN."
		echo
		echo "| | dyndns | CoreDNS file | BIND 9 | Knot | dyndns / file | dyndns / BIND | dyndns / Knot |"
		echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
		echo "| queries/s | $(rl q.dyndns) | $(rl q.file) | $(rl q.bind) | $(rl q.knot) | **$(ratio q.dyndns q.file)** | **$(ratio q.dyndns q.bind)** | **$(ratio q.dyndns q.knot)** |"
	fi
	if want updates; then
		echo
		echo "## 2. Updates joining a service of $SMALL and one of $BIG members"
		echo
		echo "One new host per UPDATE, dnsperf -u -c $CLIENTS -q $DEPTH, each run on a fresh server. small: a zone of $SMALL_SERVICES services of $SMALL hosts, joins round-robin over them; big: a zone of one service of $BIG hosts. \"host\": the zone has no explicit service records (dyndns derives them, BIND has none); \"seed\": each UPDATE also adds \`<service> A <ip>\`, and the zone already has the service records of every member written out; \"static\": each UPDATE adds the host, and each service name also holds 16 records that are no member's address (dyndns serves the union); \"churn\": on the seed zone, one UPDATE takes a member out (its host record and its record at the service name), the next puts it back, so every service keeps its size. dyndns with \`directory\` (journal fsynced before the reply), BIND with its journal. \"lost\": no answer within dnsperf's 5 s."
		echo
		echo "| server | each UPDATE adds | updates/s, small service | updates/s, big service | **big / small** |"
		echo "| --- | --- | ---: | ---: | ---: |"
		echo "| dyndns | the host (dyndns adds it to the service) | $(rl u.dyndns.plain.small) | $(rl u.dyndns.plain.big) | **$(ratio u.dyndns.plain.big u.dyndns.plain.small)** |"
		echo "| dyndns | the host + the service record (seed) | $(rl u.dyndns.seed.small) | $(rl u.dyndns.seed.big) | **$(ratio u.dyndns.seed.big u.dyndns.seed.small)** |"
		echo "| dyndns | the host, beside 16 other records at the service name (static) | $(rl u.dyndns.static.small) | $(rl u.dyndns.static.big) | **$(ratio u.dyndns.static.big u.dyndns.static.small)** |"
		echo "| dyndns | seed churn: a member out, then back in | $(rl u.dyndns.churn.small) | $(rl u.dyndns.churn.big) | **$(ratio u.dyndns.churn.big u.dyndns.churn.small)** |"
		echo "| BIND 9 | the host (no service records) | $(rl u.bind.plain.small) | $(rl u.bind.plain.big) | **$(ratio u.bind.plain.big u.bind.plain.small)** |"
		echo "| BIND 9 | the host + the service record (seed) | $(rl u.bind.seed.small) | $(rl u.bind.seed.big) | **$(ratio u.bind.seed.big u.bind.seed.small)** |"
		echo "| BIND 9 | seed churn: a member out, then back in | $(rl u.bind.churn.small) | $(rl u.bind.churn.big) | **$(ratio u.bind.churn.big u.bind.churn.small)** |"
		echo "| **dyndns / BIND**, host only | | **$(ratio u.dyndns.plain.small u.bind.plain.small)** | **$(ratio u.dyndns.plain.big u.bind.plain.big)** | |"
		echo "| **dyndns / BIND**, seed | | **$(ratio u.dyndns.seed.small u.bind.seed.small)** | **$(ratio u.dyndns.seed.big u.bind.seed.big)** | |"
		echo "| **dyndns / BIND**, seed churn | | **$(ratio u.dyndns.churn.small u.bind.churn.small)** | **$(ratio u.dyndns.churn.big u.bind.churn.big)** | |"
		echo "| **dyndns host only / BIND seed** (same end state) | | **$(ratio u.dyndns.plain.small u.bind.seed.small)** | **$(ratio u.dyndns.plain.big u.bind.seed.big)** | |"
	fi
	if want latency; then
		echo
		echo "## 3. Query latency at $RATE queries/s, idle and during an update flood"
		echo
		echo "The query zone and mix of part 1 at dnsperf -Q $RATE -c $CLIENTS, -q $LAT_Q, latencies from dnsperf -v (per query, in ms; a lost query counts as slowest). Flood: dnsperf -u -c $FLOOD_CLIENTS -q $FLOOD_CLIENTS$([ "$FLOOD_RATE" = 0 ] && echo ", as fast as each server answers," || echo " -Q $FLOOD_RATE") renumbering hosts (dyndns: the host record; BIND: the host and its service record), running from 1 s before to 1 s after the measured run. UDP drops: RcvbufErrors of /proc/net/snmp (machine-wide) over the idle run and over the flood: queries and updates the kernel dropped because the server did not read its socket in time (dnsperf counts them lost)."
		echo
		echo "| server | idle p50 | idle p99 | idle p99.9 | flood p50 | flood p99 | flood p99.9 | queries/s idle, flood | flood updates/s | UDP drops idle, flood |"
		echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
		for s in dyndns bind file; do
			case $s in
			dyndns) name=dyndns ;;
			bind) name='BIND 9' ;;
			file) name='floor: CoreDNS *file*, UPDATEs answered NOTIMP' ;;
			esac
			echo "| $name | $(r l.$s.idle.p50) | $(r l.$s.idle.p99) | $(r l.$s.idle.p999) | $(r l.$s.busy.p50) | $(r l.$s.busy.p99) | $(r l.$s.busy.p999) | $(rl l.$s.idle), $(rl l.$s.busy) | $(rl l.$s.flood) | $(r l.$s.idle.drops), $(r l.$s.busy.drops) |"
		done
		echo "| **dyndns / BIND** | **$(ratio l.dyndns.idle.p50 l.bind.idle.p50)** | **$(ratio l.dyndns.idle.p99 l.bind.idle.p99)** | **$(ratio l.dyndns.idle.p999 l.bind.idle.p999)** | **$(ratio l.dyndns.busy.p50 l.bind.busy.p50)** | **$(ratio l.dyndns.busy.p99 l.bind.busy.p99)** | **$(ratio l.dyndns.busy.p999 l.bind.busy.p999)** | | **$(ratio l.dyndns.flood l.bind.flood)** | |"
		echo "| **dyndns / floor** | **$(ratio l.dyndns.idle.p50 l.file.idle.p50)** | **$(ratio l.dyndns.idle.p99 l.file.idle.p99)** | **$(ratio l.dyndns.idle.p999 l.file.idle.p999)** | **$(ratio l.dyndns.busy.p50 l.file.busy.p50)** | **$(ratio l.dyndns.busy.p99 l.file.busy.p99)** | **$(ratio l.dyndns.busy.p999 l.file.busy.p999)** | | | |"
		echo
		echo "Flood p99 / idle p99: dyndns **$(ratio l.dyndns.busy.p99 l.dyndns.idle.p99)**, BIND 9 **$(ratio l.bind.busy.p99 l.bind.idle.p99)**, floor **$(ratio l.file.busy.p99 l.file.idle.p99)**. The floor (CoreDNS *file* on the zone with the services written out) gets dyndns's flood at the rate dyndns answered it$([ "$FLOOD_RATE" = 0 ] || echo " (here -Q $FLOOD_RATE)") and answers each UPDATE NOTIMP at once: its \"updates/s\" are those answers, and its flood p99 is what the flood costs a query with no update work at all."
	fi
	if want start; then
		echo
		echo "## 4. Cold start and memory, $START_HOSTS hosts"
		echo
		echo "From exec until the server answers the host loaded last; VmRSS (VmHWM, the peak) from /proc right then. dyndns loads hosts only from its \`directory\` and derives; BIND and Knot load the zone with the services written out. Limit $START_LIMIT s each."
		echo
		echo "| shape | dyndns start | BIND 9 start | Knot start | dyndns RSS | BIND 9 RSS | Knot RSS | start dyndns / BIND | start dyndns / Knot | RSS dyndns / BIND | RSS dyndns / Knot |"
		echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
		for shape in many one; do
			echo "| $(shapelabel $shape) | $(startcell s.dyndns.$shape) | $(startcell s.bind.$shape) | $(startcell s.knot.$shape) | $(memcell s.dyndns.$shape) | $(memcell s.bind.$shape) | $(memcell s.knot.$shape) | **$(ratio s.dyndns.$shape.secs s.bind.$shape.secs)** | **$(ratio s.dyndns.$shape.secs s.knot.$shape.secs)** | **$(ratio s.dyndns.$shape.rss s.bind.$shape.rss)** | **$(ratio s.dyndns.$shape.rss s.knot.$shape.rss)** |"
		done
		echo
		echo "dyndns loading the same file as BIND and Knot (the service records written out, as the seed clients leave them; dyndns merges them with what it derives):"
		echo
		echo "| shape | dyndns start | dyndns RSS | start dyndns / BIND | RSS dyndns / BIND | RSS dyndns / Knot |"
		echo "| --- | ---: | ---: | ---: | ---: | ---: |"
		for shape in many one; do
			echo "| $(shapelabel $shape) | $(startcell s.dyndnsfull.$shape) | $(memcell s.dyndnsfull.$shape) | **$(ratio s.dyndnsfull.$shape.secs s.bind.$shape.secs)** | **$(ratio s.dyndnsfull.$shape.rss s.bind.$shape.rss)** | **$(ratio s.dyndnsfull.$shape.rss s.knot.$shape.rss)** |"
		done
	fi
	echo
	echo "Response codes and losses per dnsperf run:"
	echo
	for f in "$WORK"/q.*.txt "$WORK"/u.*.txt "$WORK"/l.*.txt; do
		[ -e "$f" ] || continue
		k=$(basename "$f" .txt)
		echo "- $k: $(codes "$k"); $(lost "$k")"
	done
} >"$REPORT"

# This script's section of RESULTS (run.sh has its own).
bash "$ROOT/bench/splice-results.sh" scale.sh "$REPORT" "$RESULTS"

OK=1
cat "$REPORT"
