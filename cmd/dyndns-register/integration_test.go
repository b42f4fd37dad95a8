package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// The client against the real CoreDNS binary with the dyndns plugin.

const corefile = `example.org:{PORT} 37.13.in-addr.arpa:{PORT} {
	bind 127.0.0.1
	dyndns {
		allow-update 127.0.0.1
	}
}`

const host = "cyberdyne-web-sfo-prod.example.org."

// flags are the flags every test passes.
func flags(port string, more ...string) []string {
	return append([]string{"-server", "127.0.0.1:" + port, "-zone", "example.org"}, more...)
}

func TestOnceRegistersHostAndService(t *testing.T) {
	t.Parallel()
	port := startCoreDNS(t, corefile)

	out := mustRegister(t, flags(port, "-once", "-name", "cyberdyne-web-sfo-prod", "-addr", "13.37.1.1", "-addr", "2001:db8::1")...)
	if !strings.Contains(out, "registered "+host+" A 13.37.1.1 AAAA 2001:db8::1") {
		t.Errorf("output:\n%s", out)
	}
	wantLookup(t, port, host, dns.TypeA, "13.37.1.1")
	wantLookup(t, port, host, dns.TypeAAAA, "2001:db8::1")
	// The derived service answers the host's addresses.
	wantLookup(t, port, "web.example.org", dns.TypeA, "13.37.1.1")
	wantLookup(t, port, "web.example.org", dns.TypeAAAA, "2001:db8::1")

	// Without -addr: the address this host uses to reach the server.
	mustRegister(t, flags(port, "-once", "-name", "techcom-web-sfo-prod")...)
	wantLookup(t, port, "techcom-web-sfo-prod.example.org", dns.TypeA, "127.0.0.1")
	wantLookup(t, port, "web.example.org", dns.TypeA, "13.37.1.1", "127.0.0.1")
}

func TestOnceReplacesAddressAndPTR(t *testing.T) {
	t.Parallel()
	port := startCoreDNS(t, corefile)
	reg := flags(port, "-once", "-name", "cyberdyne-web-sfo-prod", "-reverse-zone", "37.13.in-addr.arpa")

	mustRegister(t, append(reg, "-addr", "13.37.1.1")...)
	wantLookup(t, port, host, dns.TypeA, "13.37.1.1")
	wantLookup(t, port, "1.1.37.13.in-addr.arpa", dns.TypePTR, host)

	// A new address replaces the old one, in the service too.
	mustRegister(t, append(reg, "-addr", "13.37.1.2")...)
	wantLookup(t, port, host, dns.TypeA, "13.37.1.2")
	wantLookup(t, port, "web.example.org", dns.TypeA, "13.37.1.2")
	wantLookup(t, port, "2.1.37.13.in-addr.arpa", dns.TypePTR, host)
}

func TestRunningClientDeletesItselfOnSIGTERM(t *testing.T) {
	t.Parallel()
	port := startCoreDNS(t, corefile)
	p := startClient(t, flags(port, "-name", "cyberdyne-web-sfo-prod", "-addr", "13.37.1.1", "-reverse-zone", "37.13.in-addr.arpa")...)
	waitLookup(t, 10*time.Second, port, "1.1.37.13.in-addr.arpa", dns.TypePTR, host)
	wantLookup(t, port, host, dns.TypeA, "13.37.1.1")
	wantLookup(t, port, "web.example.org", dns.TypeA, "13.37.1.1")

	p.signal(t, syscall.SIGTERM)
	code, out := p.wait(t, 10*time.Second)
	if code != 0 || !strings.Contains(out, "stopping: deleted "+host) {
		t.Fatalf("exit status %d:\n%s", code, out)
	}
	wantLookup(t, port, host, dns.TypeA)
	wantLookup(t, port, "web.example.org", dns.TypeA)
	wantLookup(t, port, "1.1.37.13.in-addr.arpa", dns.TypePTR)
}

func TestRunningClientRegistersAgain(t *testing.T) {
	t.Parallel()
	// A short lease, so that renewals come quickly: the server grants at
	// least 30 s by default (RFC 9664's recommendation), hence "lease min
	// 1s". The client logs the granted lease and when it renews.
	port := freePort(t)
	startCoreDNSOn(t, port, strings.Replace(corefile, "dyndns {", "dyndns {\n\t\tlease min 1s", 1))
	p := startClient(t, flags(port, "-name", "cyberdyne-web-sfo-prod", "-addr", "13.37.1.1", "-lease", "2s")...)
	m := p.waitOutput(t, 10*time.Second, regexp.MustCompile(`registered \S+ A 13.37.1.1 \(lease (\S+), renewing in (\S+)\)`))
	t.Log(m[0])
	lease, err := time.ParseDuration(m[1])
	if err != nil || lease != 2*time.Second {
		t.Fatalf("%s: granted lease %q, want 2s", m[0], m[1])
	}
	renewal, err := time.ParseDuration(m[2])
	if err != nil || renewal < lease*8/10 || renewal > lease*85/100 {
		t.Errorf("%s: renewal not at 80-85%% of the lease", m[0])
	}
	waitLookup(t, 10*time.Second, port, "web.example.org", dns.TypeA, "13.37.1.1")

	// Delete the host behind the client's back: the next renewal puts it back.
	del := new(dns.Msg)
	del.SetUpdate("example.org.")
	del.RemoveName([]dns.RR{&dns.ANY{Hdr: dns.RR_Header{Name: host}}})
	sendUpdate(t, port, del)
	wantLookup(t, port, "web.example.org", dns.TypeA)
	waitLookup(t, renewal+5*time.Second, port, host, dns.TypeA, "13.37.1.1")
	wantLookup(t, port, "web.example.org", dns.TypeA, "13.37.1.1")

	p.signal(t, syscall.SIGINT)
	if code, out := p.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("exit status %d:\n%s", code, out)
	}
	wantLookup(t, port, host, dns.TypeA)
}

func TestRunningClientWaitsForTheServer(t *testing.T) {
	t.Parallel()
	// The client starts first, as at boot before the DNS server is up: it
	// retries with backoff (1 s, 2 s, 4 s...) and registers once it is.
	port := freePort(t)
	p := startClient(t, flags(port, "-name", "cyberdyne-web-sfo-prod", "-addr", "13.37.1.1")...)
	time.Sleep(1500 * time.Millisecond)
	startCoreDNSOn(t, port, corefile)
	waitLookup(t, 10*time.Second, port, host, dns.TypeA, "13.37.1.1")
	// The server answers the host as soon as it commits, which may be
	// before the client has read the reply: a signal then would stop it
	// before it logs the registration.
	p.waitOutput(t, 10*time.Second, regexp.MustCompile(regexp.QuoteMeta("registered "+host)))

	p.signal(t, syscall.SIGTERM)
	code, out := p.wait(t, 10*time.Second)
	if code != 0 || !strings.Contains(out, "connection refused; retrying in 1") || !strings.Contains(out, "registered "+host) {
		t.Errorf("exit status %d:\n%s", code, out)
	}
}

func TestTSIGKeyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keygen := needTool(t, "tsig-keygen")
	writeKey := func(file string) string {
		key, err := exec.Command(keygen, "-a", "hmac-sha256", "register.key").Output()
		if err != nil {
			t.Fatalf("tsig-keygen: %v", err)
		}
		path := filepath.Join(dir, file)
		if err := os.WriteFile(path, key, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good, wrong := writeKey("good.key"), writeKey("wrong.key") // same name, other secret
	k, err := readKeyFile(good)
	if err != nil {
		t.Fatal(err)
	}
	port := startCoreDNS(t, `example.org:{PORT} {
	bind 127.0.0.1
	tsig {
		secret register.key. `+k.secret+`
	}
	dyndns {
		allow-update key register.key
	}
}`)
	reg := flags(port, "-once", "-name", "cyberdyne-web-sfo-prod", "-addr", "13.37.1.1")

	// Unsigned: refused (the key is what allows updates).
	if code, out, _ := register(t, reg...); code != 1 || !strings.Contains(out, "answered REFUSED") {
		t.Errorf("unsigned: exit status %d:\n%s", code, out)
	}
	// Signed with the wrong secret.
	if code, out, _ := register(t, append(reg, "-tsig-key", wrong)...); code != 1 || !strings.Contains(out, "answered NOTAUTH (TSIG BADSIG): the TSIG secret does not match") {
		t.Errorf("wrong secret: exit status %d:\n%s", code, out)
	}
	wantLookup(t, port, host, dns.TypeA)

	mustRegister(t, append(reg, "-tsig-key", good)...)
	wantLookup(t, port, host, dns.TypeA, "13.37.1.1")

	// A running client signs its deletion too.
	p := startClient(t, flags(port, "-name", "techcom-web-sfo-prod", "-addr", "13.37.1.2", "-tsig-key", good)...)
	waitLookup(t, 10*time.Second, port, "web.example.org", dns.TypeA, "13.37.1.1", "13.37.1.2")
	p.signal(t, syscall.SIGTERM)
	if code, out := p.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("exit status %d:\n%s", code, out)
	}
	wantLookup(t, port, "web.example.org", dns.TypeA, "13.37.1.1")
}

func TestFailures(t *testing.T) {
	t.Parallel()
	// dyndns serves example.org but lets only 192.0.2.1 update it; the
	// server block takes every name, so other.org reaches dyndns (NOTAUTH).
	port := startCoreDNS(t, `.:{PORT} {
	bind 127.0.0.1
	dyndns example.org {
		allow-update 192.0.2.1
	}
}`)
	closed := freePort(t)
	badKey := filepath.Join(t.TempDir(), "bad.key")
	if err := os.WriteFile(badKey, []byte(`key "k" { algorithm hmac-sha256; secret "not base64"; };`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"closed port", []string{"-server", "127.0.0.1:" + closed, "-zone", "example.org", "-once", "-addr", "13.37.1.1"}, 1,
			"UPDATE of example.org.: no answer from 127.0.0.1:" + closed + ": dial tcp 127.0.0.1:" + closed + ": connect: connection refused"},
		{"not allowed", flags(port, "-once", "-addr", "13.37.1.1"), 1,
			"answered REFUSED: not allowed to update (is this host or key in the server's allow-update?)"},
		{"zone not served", []string{"-server", "127.0.0.1:" + port, "-zone", "other.org", "-once", "-addr", "13.37.1.1"}, 1,
			"UPDATE of other.org.: 127.0.0.1:" + port + " answered NOTAUTH: the server is not authoritative for the zone"},
		{"bad key file", flags(port, "-once", "-tsig-key", badKey), 1, "TSIG key file " + badKey + ": line 1: secret of key \"k\" is not base64"},
		{"missing key file", flags(port, "-once", "-tsig-key", badKey+".missing"), 1, "reading TSIG key file: open " + badKey + ".missing: no such file or directory"},
		{"bad flag", flags(port, "-once", "-lease", "forever"), 2, "invalid value \"forever\" for flag -lease"},
		{"no zone", []string{"-server", "127.0.0.1:" + port}, 2, "-zone is required\nusage: dyndns-register -server"},
		// The running client gives up on errors that retrying cannot mend.
		{"running, not authoritative", []string{"-server", "127.0.0.1:" + port, "-zone", "other.org", "-addr", "13.37.1.1"}, 1, "answered NOTAUTH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, took := register(t, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.out) {
				t.Errorf("exit status %d, want %d with %q:\n%s", code, tc.code, tc.out, out)
			}
			if took > 3*time.Second {
				t.Errorf("took %s", took)
			}
		})
	}
	wantLookup(t, port, "cyberdyne-web-sfo-prod.example.org", dns.TypeA)
}

// With 2-second leases, a running client keeps its host in its service past
// several leases, while a host registered once leaves when its lease runs
// out: leases work end to end.
func TestRunningClientOutlivesItsLeases(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	startCoreDNSOn(t, port, strings.Replace(corefile, "dyndns {", "dyndns {\n\t\tlease min 1s", 1))
	p := startClient(t, flags(port, "-name", "cyberdyne-web-sfo-prod", "-addr", "13.37.1.1", "-lease", "2s")...)
	mustRegister(t, flags(port, "-name", "techcom-web-sfo-prod", "-addr", "13.37.1.2", "-lease", "2s", "-once")...)
	waitLookup(t, 10*time.Second, port, "web.example.org", dns.TypeA, "13.37.1.1", "13.37.1.2")
	deadline := time.Now().Add(7 * time.Second) // three and a half leases
	for time.Now().Before(deadline) {
		if got := lookup(t, port, host, dns.TypeA); len(got) != 1 {
			t.Fatalf("the running client's host answers %v after %v", got, time.Until(deadline))
		}
		time.Sleep(250 * time.Millisecond)
	}
	wantLookup(t, port, "web.example.org", dns.TypeA, "13.37.1.1") // techcom's lease ran out
	p.signal(t, syscall.SIGTERM)
	if code, out := p.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("exit status %d:\n%s", code, out)
	}
	wantLookup(t, port, "web.example.org", dns.TypeA)
}
