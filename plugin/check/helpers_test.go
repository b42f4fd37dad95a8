package check

import (
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// members is a Members function whose map the test replaces.
type members struct {
	m     atomic.Pointer[map[string][]netip.Addr]
	calls atomic.Int64
}

func newMembers(m map[string][]netip.Addr) *members {
	ms := &members{}
	ms.set(m)
	return ms
}

func (ms *members) set(m map[string][]netip.Addr) { ms.m.Store(&m) }

func (ms *members) fn() map[string][]netip.Addr {
	ms.calls.Add(1)
	return *ms.m.Load()
}

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

// newChecker returns a started checker, stopped at the end of the test.
func newChecker(t *testing.T, cfg Config, ms *members) *Checker {
	t.Helper()
	c, err := New(cfg, ms.fn)
	if err != nil {
		t.Fatal(err)
	}
	c.Start()
	t.Cleanup(c.Stop)
	return c
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// tcpListener accepts and closes connections on ip, counting them.
type tcpListener struct {
	net.Listener
	port     int
	accepted atomic.Int64
}

func listenTCP(t *testing.T, ip string, port int) *tcpListener {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	l := &tcpListener{Listener: ln, port: ln.Addr().(*net.TCPAddr).Port}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			l.accepted.Add(1)
			conn.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return l
}

// deadPort returns a port with nothing listening on ip: one the kernel just
// handed out on ip and that was closed again.
func deadPort(t *testing.T, ip string) int {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// serveHTTP serves h on ip at port (0: any), until the end of the test.
// Handlers blocked on their request's context are released when the test
// ends.
func serveHTTP(t *testing.T, ip string, port int, h http.Handler) int {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: time.Second}
	var wg sync.WaitGroup
	wg.Go(func() { srv.Serve(ln) })
	t.Cleanup(func() { srv.Close(); wg.Wait() })
	return ln.Addr().(*net.TCPAddr).Port
}

// flush publishes the pending state changes at once (white-box tests).
func flush(c *Checker) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pubPending = false
	c.publishLocked()
}

// targetOf returns the target of the i-th probe on a (white-box tests).
func targetOf(t *testing.T, c *Checker, i int, a string) *target {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	tg := c.targets[targetKey{i, netip.MustParseAddr(a)}]
	if tg == nil {
		t.Fatalf("no target %d %s", i, a)
	}
	return tg
}

// event is one call of the Changed hook.
type event struct {
	service string
	addr    netip.Addr
	passing bool
}

// events records Changed calls.
type events struct {
	mu  sync.Mutex
	all []event
}

func (e *events) changed(service string, addr netip.Addr, passing bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, event{service, addr, passing})
}

func (e *events) list() []event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]event(nil), e.all...)
}
