package dyndns

import (
	"fmt"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// digIXFR runs dig for an IXFR from serial and parses the answer records.
func digIXFR(t *testing.T, port string, from uint32, udp bool) []dns.RR {
	t.Helper()
	args := []string{"@127.0.0.1", "-p", port, "example.org", fmt.Sprintf("IXFR=%d", from), "+noall", "+answer"}
	if udp {
		args = append(args, "+notcp")
	}
	out, err := run(t, "", "dig", args...)
	if err != nil {
		t.Fatalf("dig: %v\n%s", err, out)
	}
	var rrs []dns.RR
	for _, line := range strings.Split(out, "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, ";") {
			continue
		}
		rr, err := dns.NewRR(line)
		if err != nil {
			t.Fatalf("dig printed %q: %v", line, err)
		}
		rrs = append(rrs, rr)
	}
	return rrs
}

// IXFR against the built binary, as dig asks for it: the single SOA when the
// client is current (or ahead, or asks over UDP), a condensed incremental
// difference from a serial the history holds, and the whole zone from one
// it does not.
func TestIXFRWithDig(t *testing.T) {
	dir, port := t.TempDir(), freePort(t)
	corefile := `example.org:{PORT} {
		bind 127.0.0.1
		transfer {
			to *
		}
		dyndns {
			directory {DIR}
			allow-update 127.0.0.1
			ixfr-history 5
		}
	}`
	d := startBinary(t, dir, port, corefile)
	addr := "127.0.0.1:" + port
	for i := range 10 {
		if rc := addA(t, "tcp", addr, fmt.Sprintf("h%d-web-prod.example.org.", i), fmt.Sprintf("192.0.2.%d", i+1)); rc != dns.RcodeSuccess {
			t.Fatal(dns.RcodeToString[rc])
		}
	}
	cur := serialOf(t, addr, "example.org.") // 11: the default apex starts at 1
	soaSerial := func(rr dns.RR) int64 {
		if soa, ok := rr.(*dns.SOA); ok {
			return int64(soa.Serial)
		}
		return -1
	}
	for _, tc := range []struct {
		name    string
		from    uint32
		udp     bool
		want    string // "soa", "incremental" or "full"
		records int    // answer records, for incremental ones
	}{
		{"current", cur, false, "soa", 1},
		{"from the future", cur + 100, false, "soa", 1},
		{"over UDP", cur - 1, true, "soa", 1},
		// SOA new, SOA old, (no removals), SOA new, the host, web's address, SOA new
		{"one step back", cur - 1, false, "incremental", 6},
		// five hosts joined web, condensed into one difference: the five
		// hosts and their five addresses in web, around four SOAs
		{"the oldest serial kept", cur - 5, false, "incremental", 4 + 5 + 5},
		{"older than the history", cur - 6, false, "full", 0},
		{"from the first serial", 1, false, "full", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rrs := digIXFR(t, port, tc.from, tc.udp)
			if len(rrs) == 0 || soaSerial(rrs[0]) != int64(cur) || soaSerial(rrs[len(rrs)-1]) != int64(cur) && len(rrs) > 1 {
				t.Fatalf("answer does not start and end with the current SOA: %v", rrs)
			}
			switch tc.want {
			case "soa":
				if len(rrs) != 1 {
					t.Fatalf("%d records, want the SOA alone", len(rrs))
				}
			case "incremental":
				if soaSerial(rrs[1]) != int64(tc.from) {
					t.Fatalf("second record %v, want the SOA at %d", rrs[1], tc.from)
				}
				if len(rrs) != tc.records {
					t.Errorf("%d records, want %d:\n%v", len(rrs), tc.records, rrs)
				}
			case "full":
				if soaSerial(rrs[1]) != -1 {
					t.Fatalf("second record %v: an incremental answer from a serial the history does not hold", rrs[1])
				}
			}
		})
	}

	// The history survives a restart: the journal keeps it across the
	// final snapshot.
	d.stop()
	startBinary(t, dir, port, corefile)
	if rrs := digIXFR(t, port, cur-5, false); len(rrs) < 2 || soaSerial(rrs[1]) != int64(cur-5) {
		t.Fatalf("after a restart, IXFR from %d is not incremental: %v", cur-5, rrs)
	}
}
