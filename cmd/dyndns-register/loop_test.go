package main

import (
	"bytes"
	"context"
	"log"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dyndns/dyndns/internal/testbin"
	"github.com/miekg/dns"
)

// fakeServer is an in-process DNS server over TCP that records the UPDATEs
// it gets and answers them as reply says (n counts from 0).
type fakeServer struct {
	addr  string
	reply func(req *dns.Msg, n int) *dns.Msg

	mu   sync.Mutex
	got  []*dns.Msg
	when []time.Time
}

func startFake(t *testing.T, reply func(req *dns.Msg, n int) *dns.Msg) *fakeServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{addr: l.Addr().String(), reply: reply}
	started := make(chan struct{})
	srv := &dns.Server{Listener: l, Net: "tcp", NotifyStartedFunc: func() { close(started) },
		MsgAcceptFunc: func(dns.Header) dns.MsgAcceptAction { return dns.MsgAccept }, // UPDATE too
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
			f.mu.Lock()
			n := len(f.got)
			f.got = append(f.got, req)
			f.when = append(f.when, time.Now())
			f.mu.Unlock()
			w.WriteMsg(f.reply(req, n))
		})}
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return f
}

func (f *fakeServer) requests() ([]*dns.Msg, []time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.got), slices.Clone(f.when)
}

// waitRequests waits until the server has had n requests.
func (f *fakeServer) waitRequests(t *testing.T, n int, timeout time.Duration) []*dns.Msg {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got, _ := f.requests()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests after %s, want %d", len(got), timeout, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// answer is NOERROR, granting lease if it is not 0.
func answer(rcode int, lease time.Duration) func(*dns.Msg, int) *dns.Msg {
	return func(req *dns.Msg, _ int) *dns.Msg {
		r := new(dns.Msg).SetRcode(req, rcode)
		if lease > 0 {
			setLease(r, lease)
		}
		return r
	}
}

func testRegistrar(t *testing.T, server string, args ...string) (*registrar, *testbin.Buffer) {
	t.Helper()
	cfg, err := parseFlags(append([]string{"-server", server, "-zone", "example.org", "-name", "cyberdyne-web-sfo-prod"}, args...), new(bytes.Buffer))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.load(); err != nil {
		t.Fatal(err)
	}
	out := new(testbin.Buffer)
	r := newRegistrar(cfg, log.New(out, "", 0))
	r.minBackoff, r.maxBackoff, r.stopTimeout = 10*time.Millisecond, 40*time.Millisecond, 2*time.Second
	r.rand = func() float64 { return 0 }
	return r, out
}

// start runs r until the test cancels it; the returned function cancels and
// returns run's error.
func start(t *testing.T, r *registrar) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.run(ctx) }()
	t.Cleanup(cancel)
	return func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(5 * time.Second):
			t.Fatal("run did not return after its context ended")
			return nil
		}
	}
}

func isAddressDelete(m *dns.Msg) bool {
	return len(m.Extra) == 0 && slices.Equal(rrs(m.Ns), []string{
		"cyberdyne-web-sfo-prod.example.org. 0 CLASS255 A",
		"cyberdyne-web-sfo-prod.example.org. 0 CLASS255 AAAA",
	})
}

func TestRunRenewsByGrantedLease(t *testing.T) {
	t.Parallel()
	// Asked for an hour, granted a second: renewals come every 0.8 s.
	f := startFake(t, answer(dns.RcodeSuccess, time.Second))
	r, out := testRegistrar(t, f.addr, "-addr", "13.37.1.1", "-lease", "1h")
	stop := start(t, r)
	f.waitRequests(t, 3, 5*time.Second)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	got, when := f.requests()
	for i, m := range got[:len(got)-1] {
		if l, ok := grantedLease(m); !ok || l != time.Hour {
			t.Errorf("request %d asks for lease %v %v, want 1h", i, l, ok)
		}
		if i > 0 {
			if gap := when[i].Sub(when[i-1]); gap < 800*time.Millisecond || gap > 2*time.Second {
				t.Errorf("renewal %d after %s, want 80%% of the granted 1s", i, gap)
			}
		}
	}
	if last := got[len(got)-1]; !isAddressDelete(last) {
		t.Errorf("last request is not the deletion:\n%v", last)
	}
	if strings.Contains(out.String(), "granted no lease") {
		t.Errorf("log says no lease was granted:\n%s", out)
	}
	if !strings.Contains(out.String(), "registered cyberdyne-web-sfo-prod.example.org. A 13.37.1.1 (lease 1s") {
		t.Errorf("log:\n%s", out)
	}
}

func TestRunWithoutGrantedLease(t *testing.T) {
	t.Parallel()
	// The server ignores the option: renew by the requested lease, say so once.
	f := startFake(t, answer(dns.RcodeSuccess, 0))
	r, out := testRegistrar(t, f.addr, "-addr", "13.37.1.1", "-lease", "1s")
	stop := start(t, r)
	f.waitRequests(t, 3, 5*time.Second)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "the server granted no lease"); n != 1 {
		t.Errorf("logged %d times that no lease was granted, want once:\n%s", n, out)
	}
}

func TestRunBacksOff(t *testing.T) {
	t.Parallel()
	// SERVFAIL, REFUSED, SERVFAIL, REFUSED, then NOERROR.
	f := startFake(t, func(req *dns.Msg, n int) *dns.Msg {
		rcode := dns.RcodeSuccess
		if n < 4 {
			rcode = []int{dns.RcodeServerFailure, dns.RcodeRefused}[n%2]
		}
		return answer(rcode, time.Hour)(req, n)
	})
	r, out := testRegistrar(t, f.addr, "-addr", "13.37.1.1")
	stop := start(t, r)
	f.waitRequests(t, 5, 5*time.Second)
	// The fifth request reached the server; its answer may not have
	// reached the log yet.
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(out.String(), "registered ") && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	_, when := f.requests()
	// Backoff 10, 20, 40, 40 ms (capped).
	for i, want := range []time.Duration{10, 20, 40, 40} {
		if gap := when[i+1].Sub(when[i]); gap < want*time.Millisecond {
			t.Errorf("retry %d after %s, want %d ms or more", i+1, gap, want)
		}
	}
	log := out.String()
	for _, want := range []string{"answered SERVFAIL", "answered REFUSED: not allowed to update", "retrying in 10ms", "retrying in 20ms", "retrying in 40ms", "registered cyberdyne-web-sfo-prod.example.org. A 13.37.1.1"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

func TestRunRetriesUnreachableServer(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there
	r, out := testRegistrar(t, addr, "-addr", "13.37.1.1")
	stop := start(t, r)
	time.Sleep(200 * time.Millisecond)
	// It retried, and at shutdown it tried the deletion, which failed.
	if err := stop(); err == nil || !strings.Contains(err.Error(), "could not delete") {
		t.Errorf("run: %v", err)
	}
	if n := strings.Count(out.String(), "connection refused; retrying in"); n < 3 {
		t.Errorf("%d retries in 200ms:\n%s", n, out)
	}
}

func TestRunStopsOnPermanentFailure(t *testing.T) {
	t.Parallel()
	f := startFake(t, answer(dns.RcodeNotAuth, 0))
	r, _ := testRegistrar(t, f.addr, "-addr", "13.37.1.1")
	err := r.run(context.Background())
	if err == nil || retryable(err) || !strings.Contains(err.Error(), "answered NOTAUTH") {
		t.Errorf("run: %v, want a NOTAUTH error", err)
	}
	if got, _ := f.requests(); len(got) != 1 {
		t.Errorf("%d requests, want 1 (no retries)", len(got))
	}
}

func TestRunFollowsAddressChanges(t *testing.T) {
	t.Parallel()
	// The default address changes between registrations (DHCP): the forward
	// records follow, the old PTR is deleted, the new one added.
	f := startFake(t, answer(dns.RcodeSuccess, time.Second))
	r, _ := testRegistrar(t, f.addr, "-reverse-zone", "37.13.in-addr.arpa")
	var mu sync.Mutex
	detected := 0
	r.detect = func(context.Context) ([]netip.Addr, error) {
		mu.Lock()
		defer mu.Unlock()
		detected++
		if detected == 1 {
			return addrs("13.37.1.1"), nil
		}
		return addrs("13.37.1.2", "2001:db8::2"), nil // no reverse zone for the AAAA
	}
	stop := start(t, r)
	f.waitRequests(t, 4, 5*time.Second)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	got, _ := f.requests()
	const name = "cyberdyne-web-sfo-prod.example.org."
	want := [][]string{
		{name + " 0 CLASS255 A", name + " 0 CLASS255 AAAA", name + " 60 IN A 13.37.1.1"},
		{"1.1.37.13.in-addr.arpa. 0 CLASS255 PTR", "1.1.37.13.in-addr.arpa. 60 IN PTR " + name},
		{name + " 0 CLASS255 A", name + " 0 CLASS255 AAAA", name + " 60 IN A 13.37.1.2", name + " 60 IN AAAA 2001:db8::2"},
		{"1.1.37.13.in-addr.arpa. 0 NONE PTR " + name, "2.1.37.13.in-addr.arpa. 0 CLASS255 PTR", "2.1.37.13.in-addr.arpa. 60 IN PTR " + name},
	}
	for i, w := range want {
		if g := rrs(got[i].Ns); !slices.Equal(g, w) {
			t.Errorf("request %d:\n got %q\nwant %q", i, g, w)
		}
	}
	// At shutdown: the address records, then the current PTR.
	n := len(got)
	if !isAddressDelete(got[n-2]) || !slices.Equal(rrs(got[n-1].Ns), []string{"2.1.37.13.in-addr.arpa. 0 NONE PTR " + name}) {
		t.Errorf("shutdown sent:\n%v\n%v", got[n-2], got[n-1])
	}
}

func TestRenewal(t *testing.T) {
	for _, tc := range []struct {
		lease time.Duration
		u     float64
		want  time.Duration
	}{
		{time.Hour, 0, 48 * time.Minute},
		{time.Hour, 0.5, 48*time.Minute + 90*time.Second},
		{time.Hour, 0.999999, 51 * time.Minute},
		{2 * time.Second, 0, 1600 * time.Millisecond},
		{0, 0, 800 * time.Millisecond}, // at least a second's lease
	} {
		if got := renewal(tc.lease, tc.u); (got - tc.want).Abs() > 10*time.Millisecond {
			t.Errorf("renewal(%s, %v) = %s, want %s", tc.lease, tc.u, got, tc.want)
		}
	}
	if got := jitter(time.Minute, 0.5); got != 63*time.Second {
		t.Errorf("jitter(1m, 0.5) = %s", got)
	}
}
