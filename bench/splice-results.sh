#!/usr/bin/env bash
# splice-results.sh SECTION REPORT RESULTS: put REPORT into RESULTS between
# the lines "<!-- SECTION begin -->" and "<!-- SECTION end -->", replacing
# what was there, or append it when RESULTS has no such section yet. Lets
# run.sh and scale.sh share bench/results.md without overwriting each other.
set -euo pipefail
section=$1 report=$2 results=$3
tmp=$(mktemp "$results.XXXXXX")
trap 'rm -f "$tmp"' EXIT
touch "$results"
awk -v begin="<!-- $section begin -->" -v end="<!-- $section end -->" -v rep="$report" '
	function put() { print begin; while ((getline l <rep) > 0) print l; print end }
	$0 == begin { put(); skip = 1; done = 1; next }
	$0 == end { skip = 0; next }
	!skip { print }
	END { if (!done) { if (NR) print ""; put() } }
' "$results" >"$tmp"
mv "$tmp" "$results"
trap - EXIT
