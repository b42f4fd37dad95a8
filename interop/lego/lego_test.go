// Package lego drives lego's RFC 2136 DNS-01 provider (called "dnsupdate" in
// lego v5, "rfc2136" before) against the built dyndns CoreDNS binary. It is a
// module of its own so that lego and its dependencies never enter the root
// module's dependency graph.
package lego

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-acme/lego/v5/challenge/dns01"
	"github.com/go-acme/lego/v5/providers/dns/dnsupdate"
	"github.com/miekg/dns"
)

const (
	keyName     = "acme.key."
	secret      = "bGVnby1hY21lLXRzaWctc2VjcmV0LTMyLWJ5dGVzISE=" // 32 bytes
	wrongSecret = "d3JvbmctYWNtZS10c2lnLXNlY3JldC0zMi1ieXRlcyE=" // 32 other bytes
	keyAuth     = "token.account-thumbprint"
)

// The log line format records each message's opcode (0 QUERY, 5 UPDATE) and
// transport, so the test can check which transport lego really used.
const corefile = `example.org:{PORT} {
	bind 127.0.0.1
	log . "LEGO {>opcode} {type} {name} {proto} {rcode}"
	tsig {
		secret ` + keyName + ` ` + secret + `
	}
	dyndns {
		directory {DIR}
		allow-update key ` + keyName + `
	}
}
`

func TestLegoDNSUpdate(t *testing.T) {
	port := freePort(t)
	server := "127.0.0.1:" + port
	logFile, stop := startCoreDNS(t, port)

	// lego's update is always sent over UDP (dnsupdate's dns.Client has no Net
	// option; only GSS-TSIG switches to TCP). What can be switched is the
	// lookup client lego uses to find the zone (SOA) and follow CNAMEs:
	// TCPOnly is what LEGO_EXPERIMENTAL_DNS_TCP_ONLY sets.
	for _, tc := range []struct {
		name, domain string
		tcpOnly      bool
	}{
		{"lookups over udp", "www.example.org", false},
		{"lookups over tcp", "tcp.example.org", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			useLookupServer(t, server, tc.tcpOnly)
			p := newProvider(t, server, secret)
			// The same call lego's Present makes, so we know the name and value.
			info := dns01.GetChallengeInfo(t.Context(), tc.domain, keyAuth)
			if want := "_acme-challenge." + tc.domain + "."; info.EffectiveFQDN != want {
				t.Fatalf("challenge name %q, want %q", info.EffectiveFQDN, want)
			}

			if err := p.Present(t.Context(), tc.domain, "token", keyAuth); err != nil {
				t.Fatalf("Present: %v", err)
			}
			if rcode, txt := queryTXT(t, server, info.EffectiveFQDN); rcode != dns.RcodeSuccess || !slices.Equal(txt, []string{info.Value}) {
				t.Fatalf("after Present: %s %q, want NOERROR [%q]", dns.RcodeToString[rcode], txt, info.Value)
			}

			if err := p.CleanUp(t.Context(), tc.domain, "token", keyAuth); err != nil {
				t.Fatalf("CleanUp: %v", err)
			}
			if rcode, txt := queryTXT(t, server, info.EffectiveFQDN); len(txt) != 0 || (rcode != dns.RcodeNameError && rcode != dns.RcodeSuccess) {
				t.Fatalf("after CleanUp: %s %q, want NXDOMAIN or NODATA", dns.RcodeToString[rcode], txt)
			}
		})
	}

	t.Run("wrong secret", func(t *testing.T) {
		useLookupServer(t, server, false)
		p := newProvider(t, server, wrongSecret)
		err := p.Present(t.Context(), "bad.example.org", "token", keyAuth)
		// miekg/dns, lego's DNS library, reports a NOTAUTH reply to a signed
		// message as ErrAuth: so the server answered and refused, rather than
		// the update timing out.
		if !errors.Is(err, dns.ErrAuth) {
			t.Fatalf("Present with a wrong TSIG secret: %v, want NOTAUTH (dns.ErrAuth)", err)
		}
		if rcode, txt := queryTXT(t, server, "_acme-challenge.bad.example.org."); len(txt) != 0 {
			t.Fatalf("rejected update left %s %q", dns.RcodeToString[rcode], txt)
		}
	})

	// Stop the server so its log is complete, then check the transports: every
	// UPDATE came over UDP, and each subtest's zone lookup used its transport.
	stop()
	out, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	log := string(out)
	for _, want := range []string{
		"LEGO 5 SOA example.org. udp NOERROR",
		"LEGO 0 SOA _acme-challenge.www.example.org. udp",
		"LEGO 0 SOA _acme-challenge.tcp.example.org. tcp",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("server log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "LEGO 5 SOA example.org. tcp") {
		t.Errorf("an UPDATE came over TCP:\n%s", log)
	}
}

// newProvider configures lego's provider the way an ACME client would, with
// short timeouts so that a silent server fails the test quickly. Propagation
// settings only matter to lego's solver, which this test replaces by querying
// the server directly.
func newProvider(t *testing.T, server, tsigSecret string) *dnsupdate.DNSProvider {
	t.Helper()
	p, err := dnsupdate.NewDNSProviderConfig(&dnsupdate.Config{
		Nameserver:         server,
		DNSTimeout:         5 * time.Second,
		TSIGKey:            keyName,
		TSIGSecret:         tsigSecret,
		TSIGAlgorithm:      dns.HmacSHA256,
		TTL:                dns01.DefaultTTL,
		PropagationTimeout: 10 * time.Second,
		PollingInterval:    100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// useLookupServer points lego's global lookup client (CNAME following, zone
// discovery) at the server under test instead of /etc/resolv.conf, and
// restores the previous client afterwards. The client is global, so these
// subtests must not run in parallel.
func useLookupServer(t *testing.T, server string, tcpOnly bool) {
	prev := dns01.DefaultClient()
	dns01.SetDefaultClient(dns01.NewClient(&dns01.Options{
		RecursiveNameservers: []string{server},
		Timeout:              5 * time.Second,
		TCPOnly:              tcpOnly,
	}))
	t.Cleanup(func() { dns01.SetDefaultClient(prev) })
}

// queryTXT asks the server directly, bypassing lego, for name's TXT records.
func queryTXT(t *testing.T, server, name string) (int, []string) {
	t.Helper()
	m := new(dns.Msg).SetQuestion(name, dns.TypeTXT)
	r, _, err := (&dns.Client{Timeout: 5 * time.Second}).Exchange(m, server)
	if err != nil {
		t.Fatalf("TXT %s: %v", name, err)
	}
	var txt []string
	for _, rr := range r.Answer {
		if rr, ok := rr.(*dns.TXT); ok {
			txt = append(txt, strings.Join(rr.Txt, ""))
		}
	}
	return r.Rcode, txt
}

// startCoreDNS builds ../../cmd/coredns, runs it on the Corefile above and
// waits until it accepts TCP. It returns the path of the server's output and a
// stop function (SIGINT, then wait), which also runs at cleanup.
func startCoreDNS(t *testing.T, port string) (string, func()) {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "coredns")
	build := exec.Command("go", "build", "-o", bin, "./cmd/coredns")
	build.Dir = filepath.Join(wd, "..", "..") // the root module
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/coredns: %v\n%s", err, out)
	}

	conf := filepath.Join(dir, "Corefile")
	text := strings.NewReplacer("{PORT}", port, "{DIR}", filepath.Join(dir, "zones")).Replace(corefile)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(dir, "coredns.log")
	out, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close() // the child has its own copy of the descriptor
	cmd := exec.Command(bin, "-conf", conf)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stop := func() {
		select {
		case <-done:
			return
		default:
		}
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	t.Cleanup(stop)

	// It loads its zones before it listens, so accepting TCP means ready; the
	// UDP socket is bound before either starts serving.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 100*time.Millisecond); err == nil {
			c.Close()
			return logFile, stop
		}
		select {
		case <-done:
			b, _ := os.ReadFile(logFile)
			t.Fatalf("coredns exited while starting (%v):\n%s", cmd.ProcessState, b)
		case <-time.After(50 * time.Millisecond):
		}
	}
	stop()
	b, _ := os.ReadFile(logFile)
	t.Fatalf("coredns did not accept TCP within 20s:\n%s", b)
	return "", nil
}

// freePort returns a port that is free on 127.0.0.1 for both TCP and UDP.
func freePort(t *testing.T) string {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		u, err := net.ListenPacket("udp", l.Addr().String())
		l.Close()
		if err == nil {
			u.Close()
			_, port, _ := net.SplitHostPort(l.Addr().String())
			return port
		}
	}
	t.Fatal("no port free for both TCP and UDP")
	return ""
}
