package dyndns

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// listen opens a TCP listener on addr that accepts and closes connections.
func listen(t testing.TB, addr string) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	t.Cleanup(func() { l.Close() })
	return l
}

// waitAnswer polls name A until it answers exactly want (sorted).
func waitAnswer(t *testing.T, addr, name string, want ...string) {
	t.Helper()
	slices.Sort(want)
	var got []string
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, got = rcodeOf(t, addr, name); slices.Equal(got, want) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s answers %v, want %v", name, got, want)
}

// Health checks shape a service's answers and nothing else: passing members
// only, every member when none passes, host names always, and no change to
// the stored zone (serial, AXFR).
func TestHealthChecksShapeServices(t *testing.T) {
	port := freePort(t)
	i := startInstance(t, fmt.Sprintf(`health.test:0 {
		bind 127.0.0.1
		transfer {
			to *
		}
		dyndns {
			allow-update 127.0.0.1
			health tcp %s web
			health-interval 100ms
		}
	}`, port))
	addr := udpOf(i)
	hosts := map[string]string{"a-web-prod": "127.0.0.11", "b-web-prod": "127.0.0.12", "c-web-prod": "127.0.0.13"}
	for host, ip := range hosts {
		if r := exchange(t, "udp", addr, updateMsg("health.test.", nil, fmt.Sprintf("%s.health.test. 60 IN A %s", host, ip))); r.Rcode != dns.RcodeSuccess {
			t.Fatal(dns.RcodeToString[r.Rcode])
		}
	}
	serial := serialOf(t, addr, "health.test.")
	la := listen(t, "127.0.0.11:"+port)
	lb := listen(t, "127.0.0.12:"+port)

	waitAnswer(t, addr, "web.health.test.", "127.0.0.11", "127.0.0.12") // c has no listener
	lb.Close()
	waitAnswer(t, addr, "web.health.test.", "127.0.0.11")
	la.Close()
	waitAnswer(t, addr, "web.health.test.", "127.0.0.11", "127.0.0.12", "127.0.0.13") // none passes: all
	for host, ip := range hosts {
		if _, got := rcodeOf(t, addr, host+".health.test."); !slices.Equal(got, []string{ip}) {
			t.Errorf("%s answers %v, want its own address", host, got)
		}
	}
	if s := serialOf(t, addr, "health.test."); s != serial {
		t.Errorf("health checks moved the serial from %d to %d", serial, s)
	}
	web := 0
	for _, rr := range axfr(t, i.Servers()[0].Addr().String(), "health.test.") {
		if rr.Header().Name == "web.health.test." {
			web++
		}
	}
	if web != 3 {
		t.Errorf("AXFR has %d web records, want all 3", web)
	}
}

// An http check passes on 2xx only.
func TestHealthHTTP(t *testing.T) {
	port := freePort(t)
	serve := func(ip string, status int) {
		l, err := net.Listen("tcp", ip+":"+port)
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/healthz" {
				http.NotFound(w, r)
				return
			}
			w.WriteHeader(status)
		})}
		go srv.Serve(l)
		t.Cleanup(func() { srv.Close() })
	}
	serve("127.0.0.21", http.StatusOK)
	serve("127.0.0.22", http.StatusServiceUnavailable)
	addr := udpOf(startInstance(t, fmt.Sprintf(`hhttp.test:0 {
		bind 127.0.0.1
		dyndns {
			allow-update 127.0.0.1
			health http %s /healthz
			health-interval 100ms
		}
	}`, port)))
	for host, ip := range map[string]string{"a-api-prod": "127.0.0.21", "b-api-prod": "127.0.0.22"} {
		if r := exchange(t, "udp", addr, updateMsg("hhttp.test.", nil, fmt.Sprintf("%s.hhttp.test. 60 IN A %s", host, ip))); r.Rcode != dns.RcodeSuccess {
			t.Fatal(dns.RcodeToString[r.Rcode])
		}
	}
	waitAnswer(t, addr, "api.hhttp.test.", "127.0.0.21")
}
