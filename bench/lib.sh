# Shared by run.sh and scale.sh: logging, tools, CPU pinning, the work
# directory and its cleanup, ports, and reading dnsperf's output. Source it
# after setting BENCH (the log prefix and work-directory name), PIN,
# SERVER_THREADS and KEEP; TOOLS_PKGS lists "command package" pairs to
# install when missing, TOOLS_NEEDED the commands that must be there.

log() { printf '[%s %s] %s\n' "$BENCH" "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# ---------------------------------------------------------------- tools
missing=()
for pair in "${TOOLS_PKGS[@]}"; do
	read -r cmd pkg <<<"$pair"
	command -v "$cmd" >/dev/null || [ -x "/usr/sbin/$cmd" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${missing[@]}" >/dev/null
fi
for t in "${TOOLS_NEEDED[@]}"; do command -v "$t" >/dev/null || die "$t not found"; done

# ---------------------------------------------------------------- pinning
# PIN=auto pins the server to CPU 0 and the clients to CPU 1 when the
# server runs one thread and there are two CPUs.
NPROC=$(nproc)
if [ "$PIN" = auto ]; then
	if [ "$SERVER_THREADS" = 1 ] && [ "$NPROC" -ge 2 ]; then PIN=1; else PIN=0; fi
fi
if [ "$PIN" = 1 ]; then
	SERVER_CPU=(taskset -c 0)
	PERF_CPU=(taskset -c 1)
else
	SERVER_CPU=()
	PERF_CPU=()
fi

# ---------------------------------------------------------------- cleanup
# Servers started go in PIDS; set OK=1 at the end to remove WORK (unless
# KEEP=1).
WORK=$(mktemp -d "/tmp/dyndns-$BENCH.XXXXXX")
PIDS=()
OK=0
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		fi
	done
	if [ "$OK" = 1 ] && [ "$KEEP" != 1 ]; then
		rm -rf "$WORK"
	else
		log "kept $WORK (zones, configs, server logs, dnsperf output)"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port prints a port free for UDP and TCP on this machine.
free_port() {
	local p used
	used=$(ss -Hlntu | awk '{print $5}' | sed 's/.*://' | sort -u)
	for _ in $(seq 200); do
		p=$((20000 + RANDOM % 40000))
		grep -qx "$p" <<<"$used" || { echo "$p"; return; }
	done
	die "no free port"
}

# ---------------------------------------------------------------- results
# RESULT[key] holds the measured figures; r prints one, ratio a/b of two.
declare -A RESULT
r() { echo "${RESULT[$1]:-—}"; }
ratio() { # a b
	local a=${RESULT[$1]:-} b=${RESULT[$2]:-}
	if [[ $a =~ ^[0-9.]+$ ]] && [[ $b =~ ^[0-9.]+$ ]] && awk -v b="$b" 'BEGIN {exit !(b > 0)}'; then
		awk -v a="$a" -v b="$b" 'BEGIN {v = a / b; printf (v >= 0.1 || v == 0 ? "%.2f" : "%.2g"), v}'
	else echo "—"; fi
}
# codes and lost read dnsperf's response codes and losses of a run.
codes() { grep -h 'Response codes:' "$WORK/$1.txt" | sed 's/^ *Response codes: *//'; }
lost() { grep -hE '(Queries|Updates) lost:' "$WORK/$1.txt" | sed 's/^ *//; s/  */ /g'; }

# named_conf DIR PORT [OPTION...]: writes DIR/named.conf for BIND 9 as every
# script runs it: a primary for $ZONE (DIR/db.$ZONE) taking updates from
# 127.0.0.1, listening on 127.0.0.1:PORT, per-update log lines to null
# (dyndns still writes its audit line per update: this favours BIND), RRsets
# of any size (9.18.28+ refuse RRsets over 100 records by default), plus the
# option lines given (each ending in ";").
named_conf() {
	local dir=$1 port=$2 extra=""
	shift 2
	for o in "$@"; do extra+="    $o"$'\n'; done
	cat >"$dir/named.conf" <<EOF
options {
    directory "$dir";
    listen-on port $port { 127.0.0.1; };
    listen-on-v6 { none; };
    pid-file "$dir/named.pid";
    session-keyfile "$dir/session.key";
    managed-keys-directory "$dir";
    recursion no;
    notify no;
    dnssec-validation no;
    max-records-per-type 0;
    max-types-per-name 0;
${extra}};
controls { };
logging {
    channel out { stderr; severity info; print-time yes; };
    category default { out; };
    category update { null; };
    category update-security { null; };
};
zone "$ZONE" {
    type primary;
    file "db.$ZONE";
    allow-update { 127.0.0.1; };
};
EOF
}

# build_coredns builds cmd/coredns into $BIN as SRC and BUILD say (the work
# tree, or a commit through git archive into $WORK/src; BUILD=0 uses $BIN as
# it is) and sets BUILT_FROM to say which.
build_coredns() {
	if [ "$BUILD" = 1 ] && [ "$SRC" = worktree ]; then
		log "building $BIN from the work tree"
		go build -o "$BIN" ./cmd/coredns || die "go build failed (SRC=HEAD builds the last commit instead)"
		BUILT_FROM="work tree at $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git status --porcelain 2>/dev/null | grep -qv '^?? bench/' && echo ' with uncommitted changes' || true)"
	elif [ "$BUILD" = 1 ]; then
		local rev
		rev=$(git rev-parse --short "$SRC^{commit}") || die "SRC=$SRC is not a commit"
		log "building $BIN from commit $rev (git archive)"
		mkdir -p "$WORK/src"
		git archive "$rev" | tar -x -C "$WORK/src"
		(cd "$WORK/src" && go build -o "$BIN" ./cmd/coredns) || die "go build of $rev failed"
		BUILT_FROM="commit $rev (SRC=$SRC)"
	else
		BUILT_FROM="$BIN as it was (BUILD=0)"
		[ -x "$BIN" ] || die "BUILD=0 but $BIN is not an executable"
		log "using $BIN as it is (BUILD=0)"
	fi
}
