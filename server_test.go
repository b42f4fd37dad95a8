package dyndns

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/coredns/caddy"
	_ "github.com/coredns/coredns/core" // the dns server type
	"github.com/coredns/coredns/core/dnsserver"
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/file"
	_ "github.com/coredns/coredns/plugin/reload"
	_ "github.com/coredns/coredns/plugin/transfer"
	_ "github.com/coredns/coredns/plugin/tsig"
	"github.com/dyndns/dyndns/internal/testbin"
	"github.com/dyndns/dyndns/plugin/storage"
	"github.com/miekg/dns"
)

// Integration tests start real CoreDNS servers in this process, with only the
// plugins they need (the coredns test package would import every plugin).
func init() { dnsserver.Directives = WithDirective(dnsserver.Directives) }

// TestMain fails the run when a test left a store open. Stores live in the
// process-wide registry and in-memory zones are keyed by origin alone, so a
// server that is not shut down (OnShutdown callbacks run) hands its zone to
// the next test on the same origin, and tests pass or fail by their order.
func TestMain(m *testing.M) {
	code := m.Run()
	testbin.Cleanup()
	if open := openStores(); len(open) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: stores still open after the tests (a test did not shut down what it set up): %v\n", open)
		code = 1
	}
	os.Exit(code)
}

// openStores lists the stores and places still open.
func openStores() []string { return storage.Open() }

var startMu sync.Mutex

// startServer starts CoreDNS on corefile and returns its UDP and TCP
// addresses. The test's cleanup shuts it down as a process exit does.
func startServer(t testing.TB, corefile string) (udp, tcp string) {
	t.Helper()
	i := startCaddy(t, corefile)
	t.Cleanup(func() { shutdown(t, i) })
	srv := i.Servers()[0]
	return srv.LocalAddr().String(), srv.Addr().String()
}

// startCaddy starts CoreDNS on corefile; the caller shuts it down (shutdown).
func startCaddy(t testing.TB, corefile string) *caddy.Instance {
	t.Helper()
	startMu.Lock()
	caddy.Quiet, dnsserver.Quiet = true, true
	i, err := caddy.Start(caddy.CaddyfileInput{Contents: []byte(corefile), Filepath: "Corefile", ServerTypeName: "dns"})
	startMu.Unlock()
	if err != nil {
		// Setup may have acquired stores before a later block failed.
		if i != nil {
			i.Stop()
		}
		shutdownCallbacks(t, i)
		t.Fatalf("starting CoreDNS: %v", err)
	}
	return i
}

// shutdown stops the servers of i and runs its shutdown callbacks, which
// release its stores (the last user of a store closes it). Instance.Stop
// alone runs no callbacks: the stores would stay in the registry, and the
// next server on the same in-memory zone would see this one's records.
func shutdown(t testing.TB, i *caddy.Instance) {
	t.Helper()
	if err := i.Stop(); err != nil {
		t.Errorf("stopping CoreDNS: %v", err)
	}
	shutdownCallbacks(t, i)
}

func shutdownCallbacks(t testing.TB, i *caddy.Instance) {
	t.Helper()
	if i == nil {
		return
	}
	for _, err := range i.ShutdownCallbacks() {
		t.Errorf("CoreDNS shutdown callback: %v", err)
	}
}

// closeSetup releases the stores that setup acquired on a
// caddy.NewTestController, as the block's OnShutdown does.
func closeSetup(t testing.TB, c *caddy.Controller) {
	t.Helper()
	for _, p := range dnsserver.GetConfig(c).Plugin {
		if d, ok := p(nil).(*DynDNS); ok {
			if err := d.close(); err != nil {
				t.Errorf("releasing the stores: %v", err)
			}
		}
	}
}

// axfr transfers zone from addr (TCP) and returns every record received,
// the closing SOA included.
func axfr(t testing.TB, addr, zone string) []dns.RR {
	t.Helper()
	m := new(dns.Msg)
	m.SetAxfr(zone)
	tr := &dns.Transfer{DialTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second}
	ch, err := tr.In(m, addr)
	if err != nil {
		t.Fatalf("AXFR of %s from %s: %v", zone, addr, err)
	}
	var rrs []dns.RR
	for env := range ch {
		if env.Error != nil {
			t.Fatalf("AXFR of %s from %s: %v", zone, addr, env.Error)
		}
		rrs = append(rrs, env.RR...)
	}
	return rrs
}

// exchange sends m to addr over net ("udp" or "tcp") and returns the answer.
func exchange(t testing.TB, net, addr string, m *dns.Msg) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: net, Timeout: 5 * time.Second}
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("%s exchange with %s: %v", net, addr, err)
	}
	return r
}

// needTool returns the path of a DNS client the test drives, failing when it
// is missing: CI installs them (.ci/run), and a skipped test proves nothing.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not installed: run `bash .ci/run` (it installs bind9-dnsutils, knot-dnsutils, dnsperf)", name)
	}
	return p
}

// TestStoppedServerLeavesNoZoneBehind proves the isolation the other tests
// rely on: in-memory zones are shared through the registry by origin, so a
// server that was not shut down properly would hand its records to the
// next server on the same zone (and tests would depend on their order).
func TestStoppedServerLeavesNoZoneBehind(t *testing.T) {
	const probe = "isolation-probe-sfo-prod.skynet.example.com."
	t.Run("first server", func(t *testing.T) {
		udp, tcp := startServer(t, seedCorefile)
		if r := register(t, "tcp", tcp, "isolation-probe-sfo-prod", "13.37.9.9"); r.Rcode != dns.RcodeSuccess {
			t.Fatalf("register: %s", dns.RcodeToString[r.Rcode])
		}
		if got := addresses(t, "udp", udp, probe); !slices.Equal(got, []string{"13.37.9.9"}) {
			t.Fatalf("probe answers %v", got)
		}
	}) // its cleanup shut the first server down
	if storage.Lookup("memory", "skynet.example.com.") != nil {
		t.Error("the stopped server's store is still in the registry")
	}

	udp, _ := startServer(t, seedCorefile)
	m := new(dns.Msg)
	m.SetQuestion(probe, dns.TypeA)
	if r := exchange(t, "udp", udp, m); r.Rcode != dns.RcodeNameError || len(r.Answer) != 0 {
		t.Errorf("a fresh server sees a name registered with a stopped one: rcode %s, %v", dns.RcodeToString[r.Rcode], r.Answer)
	}
}
