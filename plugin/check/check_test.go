package check

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

func noMembers() map[string][]netip.Addr { return nil }

func TestNewValidates(t *testing.T) {
	tcp80 := []Check{{Kind: TCP, Port: 80}}
	tests := []struct {
		name string
		cfg  Config
		err  string // "" for valid
	}{
		{"tcp", Config{Checks: tcp80}, ""},
		{"http", Config{Checks: []Check{{Kind: HTTP, Port: 8080, Path: "/healthz?full=1"}}}, ""},
		{"http default path", Config{Checks: []Check{{Kind: HTTP, Port: 8080}}}, ""},
		{"no checks", Config{}, "no health checks"},
		{"bad kind", Config{Checks: []Check{{Kind: "udp", Port: 53}}}, "unknown kind"},
		{"port 0", Config{Checks: []Check{{Kind: TCP}}}, "port 0"},
		{"port too big", Config{Checks: []Check{{Kind: TCP, Port: 65536}}}, "port 65536"},
		{"negative port", Config{Checks: []Check{{Kind: HTTP, Port: -1, Path: "/"}}}, "port -1"},
		{"tcp with path", Config{Checks: []Check{{Kind: TCP, Port: 80, Path: "/"}}}, "no path"},
		{"relative path", Config{Checks: []Check{{Kind: HTTP, Port: 80, Path: "health"}}}, "does not start with /"},
		{"path with space", Config{Checks: []Check{{Kind: HTTP, Port: 80, Path: "/a b"}}}, "space"},
		{"path with fragment", Config{Checks: []Check{{Kind: HTTP, Port: 80, Path: "/a#b"}}}, "#"},
		{"path with bad escape", Config{Checks: []Check{{Kind: HTTP, Port: 80, Path: "/a%zz"}}}, "escape"},
		{"empty service", Config{Checks: []Check{{Kind: TCP, Port: 80, Services: []string{""}}}}, "empty service"},
		{"root service", Config{Checks: []Check{{Kind: TCP, Port: 80, Services: []string{"."}}}}, "empty service"},
		{"timeout equals interval", Config{Checks: tcp80, Interval: time.Second, Timeout: time.Second}, "below the interval"},
		{"timeout above interval", Config{Checks: tcp80, Interval: time.Second, Timeout: 3 * time.Second}, "below the interval"},
		{"timeout above default interval", Config{Checks: tcp80, Timeout: 6 * time.Second}, "below the interval"},
		{"negative interval", Config{Checks: tcp80, Interval: -time.Second}, "negative interval"},
		{"negative timeout", Config{Checks: tcp80, Timeout: -time.Second}, "negative timeout"},
		{"interval too short", Config{Checks: tcp80, Interval: 1}, "too short"},
		{"negative fall", Config{Checks: tcp80, Fall: -1}, "negative fall"},
		{"negative rise", Config{Checks: tcp80, Rise: -1}, "negative rise"},
		{"negative workers", Config{Checks: tcp80, Workers: -1}, "negative workers"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg, noMembers)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.err != "" && err == nil:
				t.Fatalf("no error, want one with %q", tc.err)
			case tc.err != "" && !strings.Contains(err.Error(), tc.err):
				t.Fatalf("error %q, want one with %q", err, tc.err)
			}
		})
	}
	if _, err := New(Config{Checks: tcp80}, nil); err == nil {
		t.Error("New accepted a nil Members")
	}
}

func TestNewDefaults(t *testing.T) {
	tests := []struct {
		in                  Config
		interval, timeout   time.Duration
		fall, rise, workers int
	}{
		{Config{}, 5 * time.Second, 2 * time.Second, 2, 1, 64},
		{Config{Interval: time.Second}, time.Second, 500 * time.Millisecond, 2, 1, 64},
		{Config{Interval: time.Minute, Timeout: 10 * time.Second, Fall: 3, Rise: 2, Workers: 8}, time.Minute, 10 * time.Second, 3, 2, 8},
	}
	for _, tc := range tests {
		tc.in.Checks = []Check{{Kind: HTTP, Port: 80}}
		c, err := New(tc.in, noMembers)
		if err != nil {
			t.Fatal(err)
		}
		got := c.Config()
		if got.Interval != tc.interval || got.Timeout != tc.timeout || got.Fall != tc.fall || got.Rise != tc.rise || got.Workers != tc.workers {
			t.Errorf("%+v: got interval %s timeout %s fall %d rise %d workers %d", tc.in, got.Interval, got.Timeout, got.Fall, got.Rise, got.Workers)
		}
		if got.Checks[0].Path != "/" {
			t.Errorf("default http path %q, want /", got.Checks[0].Path)
		}
	}
}

func TestProbesShareAndApply(t *testing.T) {
	services := []string{"Web.Example.ORG", "db.example.org."}
	cfg := Config{Checks: []Check{
		{Kind: TCP, Port: 80, Services: services},
		{Kind: TCP, Port: 80, Services: []string{"mail.example.org."}}, // same probe as the first
		{Kind: HTTP, Port: 80, Path: "/"},                              // every service
		{Kind: HTTP, Port: 80, Services: []string{"web.example.org"}},  // same probe: path defaults to /
		{Kind: HTTP, Port: 81, Path: "/", Services: []string{"db.example.org."}},
	}}
	c, err := New(cfg, noMembers)
	if err != nil {
		t.Fatal(err)
	}
	if services[0] != "Web.Example.ORG" {
		t.Error("New modified the caller's service names")
	}
	if got := c.Config().Checks[0].Services; !slices.Equal(got, []string{"web.example.org.", "db.example.org."}) {
		t.Errorf("normalized services %q", got)
	}
	if len(c.probes) != 3 {
		t.Fatalf("%d probes, want 3 (tcp/80, http/80/, http/81/)", len(c.probes))
	}
	tests := []struct {
		service string
		probes  int
	}{
		{"web.example.org.", 2},
		{"WEB.example.org.", 2},
		{"web.example.org", 2},
		{"db.example.org.", 3},
		{"mail.example.org.", 2},
		{"other.example.org.", 1},
	}
	for _, tc := range tests {
		if s := c.newService(tc.service); s == nil || len(s.probes) != tc.probes {
			t.Errorf("%s: service %v, want %d probes", tc.service, s, tc.probes)
		}
	}
	only, err := New(Config{Checks: []Check{{Kind: TCP, Port: 80, Services: []string{"web.example.org."}}}}, noMembers)
	if err != nil {
		t.Fatal(err)
	}
	if s := only.newService("db.example.org."); s != nil {
		t.Errorf("a check of web applies to db: %v", s)
	}
}
