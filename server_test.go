package dyndns

import (
	"os/exec"
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
	"github.com/miekg/dns"
)

// Integration tests start real CoreDNS servers in this process, with only the
// plugins they need (the coredns test package would import every plugin).
func init() { dnsserver.Directives = WithDirective(dnsserver.Directives) }

var startMu sync.Mutex

// startServer starts CoreDNS on corefile and returns its UDP and TCP addresses.
func startServer(t testing.TB, corefile string) (udp, tcp string) {
	t.Helper()
	startMu.Lock()
	caddy.Quiet, dnsserver.Quiet = true, true
	i, err := caddy.Start(caddy.CaddyfileInput{Contents: []byte(corefile), Filepath: "Corefile", ServerTypeName: "dns"})
	startMu.Unlock()
	if err != nil {
		t.Fatalf("starting CoreDNS: %v", err)
	}
	t.Cleanup(func() { i.Stop() })
	srv := i.Servers()[0]
	return srv.LocalAddr().String(), srv.Addr().String()
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
