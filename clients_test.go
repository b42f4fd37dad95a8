package dyndns

import (
	"slices"
	"strings"
	"testing"
)

const binaryCorefile = `skynet.example.com:{PORT} 37.13.in-addr.arpa:{PORT} {
	bind 127.0.0.1
	tsig {
		secret ops.key. c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg==
	}
	transfer {
		to *
	}
	dyndns {
		allow-update 127.0.0.1 key ops.key
	}
}
keyonly.example:{PORT} {
	bind 127.0.0.1
	tsig {
		secret ops.key. c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg==
	}
	dyndns {
		allow-update key ops.key
	}
}`

const opsKey = "hmac-sha256:ops.key:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg=="

// nsupdate registers a host as the seed clients do: its own A record, and its
// PTR in the reverse zone, replacing whatever was there.
func registerScript(port, host, ip string) string {
	o := strings.Split(ip, ".")
	ptr := o[3] + "." + o[2] + ".37.13.in-addr.arpa"
	fqdn := host + ".skynet.example.com"
	return "server 127.0.0.1 " + port + "\n" +
		"zone skynet.example.com\n" +
		"update delete " + fqdn + " A\n" +
		"update add " + fqdn + " 60 A " + ip + "\n" +
		"send\n" +
		"zone 37.13.in-addr.arpa\n" +
		"update delete " + ptr + " PTR\n" +
		"update add " + ptr + " 60 PTR " + fqdn + ".\n" +
		"send\n"
}

func dig(t *testing.T, port string, args ...string) []string {
	t.Helper()
	out, err := run(t, "", "dig", append([]string{"@127.0.0.1", "-p", port, "+short", "+tries=1", "+time=5"}, args...)...)
	if err != nil {
		t.Fatalf("dig %v: %v\n%s", args, err, out)
	}
	return strings.Fields(out)
}

func TestNsupdateSeedScenarioAgainstBinary(t *testing.T) {
	port := freePort(t)
	startBinary(t, t.TempDir(), port, binaryCorefile)

	// One host over TCP (-v, as the seed clients), one over UDP.
	if out, err := run(t, registerScript(port, "cyberdyne-web-sfo-prod", "13.37.1.1"), "nsupdate", "-v"); err != nil {
		t.Fatalf("nsupdate -v: %v\n%s", err, out)
	}
	if out, err := run(t, registerScript(port, "techcom-web-sfo-prod", "13.37.1.2"), "nsupdate"); err != nil {
		t.Fatalf("nsupdate: %v\n%s", err, out)
	}
	if got := dig(t, port, "cyberdyne-web-sfo-prod.skynet.example.com", "A"); !slices.Equal(got, []string{"13.37.1.1"}) {
		t.Errorf("host: %v", got)
	}
	if got := dig(t, port, "-x", "13.37.1.2"); !slices.Equal(got, []string{"techcom-web-sfo-prod.skynet.example.com."}) {
		t.Errorf("PTR: %v", got)
	}
	first := dig(t, port, "web.skynet.example.com", "A")
	second := dig(t, port, "web.skynet.example.com", "A")
	if !slices.Equal(slices.Sorted(slices.Values(first)), []string{"13.37.1.1", "13.37.1.2"}) || first[0] == second[0] {
		t.Errorf("web answers %v then %v: want both addresses, rotating", first, second)
	}

	// Renumber: the old address leaves web at once.
	if out, err := run(t, registerScript(port, "cyberdyne-web-sfo-prod", "13.37.1.9"), "nsupdate", "-v"); err != nil {
		t.Fatalf("nsupdate: %v\n%s", err, out)
	}
	if got := slices.Sorted(slices.Values(dig(t, port, "web.skynet.example.com", "A"))); !slices.Equal(got, []string{"13.37.1.2", "13.37.1.9"}) {
		t.Errorf("after renumbering web answers %v", got)
	}

	// kdig AXFR: derived records are in the transfer, so secondaries serve them.
	out, err := run(t, "", "kdig", "@127.0.0.1", "-p", port, "+tcp", "skynet.example.com", "AXFR")
	if err != nil || !strings.Contains(out, "web.skynet.example.com.") {
		t.Errorf("AXFR lacks the derived service: %v\n%s", err, out)
	}
}

func TestNsupdateAccessControl(t *testing.T) {
	port := freePort(t)
	startBinary(t, t.TempDir(), port, binaryCorefile)
	add := "server 127.0.0.1 " + port + "\nzone keyonly.example\nupdate add h.keyonly.example 60 A 192.0.2.1\nsend\n"

	if out, err := run(t, add, "nsupdate"); err == nil || !strings.Contains(out, "REFUSED") {
		t.Errorf("unsigned update to a key-only zone: %v\n%s", err, out)
	}
	if out, err := run(t, add, "nsupdate", "-y", "hmac-sha256:ops.key:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="); err == nil {
		t.Errorf("update signed with a wrong secret succeeded\n%s", out)
	}
	if got := dig(t, port, "h.keyonly.example", "A"); len(got) != 0 {
		t.Errorf("refused updates changed the zone: %v", got)
	}
	for _, args := range [][]string{{"-y", opsKey}, {"-v", "-y", opsKey}} {
		if out, err := run(t, add, "nsupdate", args...); err != nil {
			t.Errorf("nsupdate %v: %v\n%s", args, err, out)
		}
	}
	if got := dig(t, port, "h.keyonly.example", "A"); !slices.Equal(got, []string{"192.0.2.1"}) {
		t.Errorf("signed update not applied: %v", got)
	}
}

// knsupdate (Knot's client) and a dnspython client that behaves like the
// seed's script register hosts, unsigned and with TSIG, over UDP and TCP.
func TestOtherClientsAgainstBinary(t *testing.T) {
	port := freePort(t)
	startBinary(t, t.TempDir(), port, binaryCorefile)
	const secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg=="
	for _, tc := range []struct {
		name, host, ip string
		args           []string
	}{
		{"knsupdate UDP", "k1-web-sfo-prod", "13.37.2.1", nil},
		{"knsupdate TCP", "k2-web-sfo-prod", "13.37.2.2", []string{"-v"}},
		{"knsupdate TSIG UDP", "k3-web-sfo-prod", "13.37.2.3", []string{"-y", opsKey}},
		{"knsupdate TSIG TCP", "k4-web-sfo-prod", "13.37.2.4", []string{"-v", "-y", opsKey}},
	} {
		if out, err := run(t, registerScript(port, tc.host, tc.ip), "knsupdate", tc.args...); err != nil {
			t.Errorf("%s: %v\n%s", tc.name, err, out)
		}
		if got := dig(t, port, tc.host+".skynet.example.com", "A"); !slices.Equal(got, []string{tc.ip}) {
			t.Errorf("%s: host answers %v", tc.name, got)
		}
		if got := dig(t, port, "-x", tc.ip); !slices.Equal(got, []string{tc.host + ".skynet.example.com."}) {
			t.Errorf("%s: PTR answers %v", tc.name, got)
		}
	}
	for _, tc := range []struct {
		name, host, ip string
		args           []string
	}{
		{"dnspython UDP", "p1-web-sfo-prod", "13.37.3.1", []string{"udp"}},
		{"dnspython TCP", "p2-web-sfo-prod", "13.37.3.2", []string{"tcp"}},
		{"dnspython TSIG", "p3-web-sfo-prod", "13.37.3.3", []string{"tcp", "ops.key.", secret}},
	} {
		args := append([]string{"testdata/clients/register.py", "127.0.0.1", port, "skynet.example.com", "37.13.in-addr.arpa", tc.host, tc.ip}, tc.args...)
		// Debian's python3, which python3-dnspython installs into (.ci/run).
		if out, err := run(t, "", "/usr/bin/python3", args...); err != nil || !strings.Contains(out, "registered") {
			t.Errorf("%s: %v\n%s", tc.name, err, out)
		}
		if got := dig(t, port, tc.host+".skynet.example.com", "A"); !slices.Equal(got, []string{tc.ip}) {
			t.Errorf("%s: host answers %v", tc.name, got)
		}
	}
	if got := dig(t, port, "web.skynet.example.com", "A"); len(got) != 7 {
		t.Errorf("web answers %d addresses, want the 7 registered hosts: %v", len(got), got)
	}
}
