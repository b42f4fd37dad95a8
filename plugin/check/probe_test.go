package check

import (
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// probeOnce runs one check of a (tcp on port, or http on port and path)
// through a fresh checker and returns its result and duration.
func probeOnce(t *testing.T, kind Kind, a string, port int, path string, timeout time.Duration) (bool, time.Duration) {
	t.Helper()
	c, err := New(Config{Checks: []Check{{Kind: kind, Port: port, Path: path}}, Interval: 4 * timeout, Timeout: timeout}, noMembers)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	start := time.Now()
	ok := c.probe(c.newTarget(c.probes[0], netip.MustParseAddr(a)))
	return ok, time.Since(start)
}

func TestTCPProbe(t *testing.T) {
	t.Parallel()
	live := listenTCP(t, "127.0.0.11", 0)
	tests := []struct {
		name string
		addr string
		port int
		pass bool
	}{
		{"listening", "127.0.0.11", live.port, true},
		{"nothing listening, same port", "127.0.0.12", live.port, false},
		{"nothing listening", "127.0.0.11", deadPort(t, "127.0.0.11"), false},
	}
	if ln6, err := net.Listen("tcp", "[::1]:0"); err == nil {
		ln6.Close()
		v6 := listenTCP(t, "::1", 0)
		tests = append(tests, struct {
			name string
			addr string
			port int
			pass bool
		}{"ipv6 listening", "::1", v6.port, true})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, took := probeOnce(t, TCP, tc.addr, tc.port, "", 200*time.Millisecond)
			if ok != tc.pass {
				t.Errorf("tcp %s:%d passed %v, want %v", tc.addr, tc.port, ok, tc.pass)
			}
			if took > 150*time.Millisecond {
				t.Errorf("took %s, a refused connection should fail at once", took)
			}
		})
	}
	waitFor(t, time.Second, "the connection to be accepted", func() bool { return live.accepted.Load() >= 1 })
}

func TestHTTPProbe(t *testing.T) {
	t.Parallel()
	type seen struct {
		method, uri, host, agent string
	}
	var mu sync.Mutex
	var got []seen
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, seen{r.Method, r.RequestURI, r.Host, r.UserAgent()})
		mu.Unlock()
		w.Write([]byte("fine\n"))
	})
	mux.HandleFunc("/nocontent", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/unavailable", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "draining", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, 1<<20)) // only a little of it is read
	})
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	mux.HandleFunc("/slowbody", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	port := serveHTTP(t, "127.0.0.21", 0, mux)
	const timeout = 150 * time.Millisecond
	tests := []struct {
		name string
		addr string
		port int
		path string
		pass bool
	}{
		{"200", "127.0.0.21", port, "/ok?probe=1", true},
		{"204", "127.0.0.21", port, "/nocontent", true},
		{"503", "127.0.0.21", port, "/unavailable", false},
		{"404", "127.0.0.21", port, "/missing", false},
		{"redirect not followed", "127.0.0.21", port, "/moved", false},
		{"big body", "127.0.0.21", port, "/big", true},
		{"hangs past the timeout", "127.0.0.21", port, "/hang", false},
		{"2xx in time, body hangs past the timeout", "127.0.0.21", port, "/slowbody", true},
		{"nothing listening", "127.0.0.22", port, "/ok", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, took := probeOnce(t, HTTP, tc.addr, tc.port, tc.path, timeout)
			if ok != tc.pass {
				t.Errorf("GET %s:%d%s passed %v, want %v", tc.addr, tc.port, tc.path, ok, tc.pass)
			}
			if took > timeout+100*time.Millisecond {
				t.Errorf("took %s, beyond the timeout %s", took, timeout)
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	want := seen{"GET", "/ok?probe=1", "127.0.0.21:" + strconv.Itoa(port), userAgent}
	if !slices.Contains(got, want) {
		t.Errorf("requests seen %+v, want one %+v", got, want)
	}
	for _, s := range got {
		if s.uri == "/ok" && s.agent == userAgent {
			t.Errorf("the redirect was followed")
		}
	}
}

// TestEndToEnd runs a started checker on a service with a live and a dead
// member of a tcp check and an http one.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	live := listenTCP(t, "127.0.0.31", 0)
	var healthy atomic.Int64
	httpPort := serveHTTP(t, "127.0.0.33", 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		healthy.Add(1)
	}))
	serveHTTP(t, "127.0.0.34", httpPort, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "sick", http.StatusServiceUnavailable)
	}))
	ms := newMembers(map[string][]netip.Addr{
		"web.example.org.": addrs("127.0.0.31", "127.0.0.32"),
		"api.example.org.": addrs("127.0.0.33", "127.0.0.34"),
		"db.example.org.":  addrs("127.0.0.32"), // no check applies
	})
	var ev events
	var failed sync.Map
	c := newChecker(t, Config{
		Checks: []Check{
			{Kind: TCP, Port: live.port, Services: []string{"web.example.org."}},
			{Kind: HTTP, Port: httpPort, Path: "/healthz", Services: []string{"api.example.org."}},
		},
		Interval: 60 * time.Millisecond,
		Timeout:  40 * time.Millisecond,
		Changed:  ev.changed,
		Failed: func(k Kind) {
			n, _ := failed.LoadOrStore(k, new(atomic.Int64))
			n.(*atomic.Int64).Add(1)
		},
	}, ms)
	waitFor(t, 2*time.Second, "the dead members to go down", func() bool {
		return c.Down("web.example.org.").Len() == 1 && c.Down("api.example.org.").Len() == 1
	})
	tests := []struct {
		service  string
		down     []netip.Addr
		members  int
		checked  bool
		hasEvent bool
	}{
		{"web.example.org.", addrs("127.0.0.32"), 2, true, true},
		{"api.example.org.", addrs("127.0.0.34"), 2, true, true},
		{"db.example.org.", nil, 0, false, false},
	}
	stats := c.Stats()
	for _, tc := range tests {
		if got := c.Down(tc.service).All(); !slices.Equal(got, tc.down) {
			t.Errorf("%s: down %v, want %v", tc.service, got, tc.down)
		}
		i := slices.IndexFunc(stats, func(s ServiceStats) bool { return s.Service == tc.service })
		if !tc.checked {
			if i >= 0 {
				t.Errorf("%s: unchecked service in stats %+v", tc.service, stats)
			}
			continue
		}
		if i < 0 {
			t.Errorf("%s: not in stats %+v", tc.service, stats)
		} else if s := stats[i]; s.Members != tc.members || s.Passing != tc.members-len(tc.down) {
			t.Errorf("%s: stats %+v, want %d members, %d passing", tc.service, s, tc.members, tc.members-len(tc.down))
		}
		if tc.hasEvent && !slices.Contains(ev.list(), event{tc.service, tc.down[0], false}) {
			t.Errorf("%s: no Changed(%s, false) in %v", tc.service, tc.down[0], ev.list())
		}
	}
	if len(ev.list()) != 2 {
		t.Errorf("events %v, want 2", ev.list())
	}
	for _, k := range []Kind{TCP, HTTP} {
		if n, ok := failed.Load(k); !ok || n.(*atomic.Int64).Load() < 2 {
			t.Errorf("Failed(%s) not called twice (fall 2)", k)
		}
	}
	if live.accepted.Load() == 0 || healthy.Load() == 0 {
		t.Errorf("live members not checked: %d tcp, %d http", live.accepted.Load(), healthy.Load())
	}
	if c.InFlight() > c.Config().Workers {
		t.Errorf("%d checks in flight", c.InFlight())
	}
}
