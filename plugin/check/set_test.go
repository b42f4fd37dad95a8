package check

import (
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func newSet(ss ...string) *Set {
	a := addrs(ss...)
	for i := range a {
		a[i] = canonical(a[i])
	}
	slices.SortFunc(a, netip.Addr.Compare)
	return &Set{addrs: slices.Compact(a)}
}

func TestSetHas(t *testing.T) {
	var large []string
	for i := range 100 {
		large = append(large, fmt.Sprintf("10.0.%d.%d", i/10, i%10))
	}
	large = append(large, "2001:db8::1", "2001:db8::ff")
	tests := []struct {
		name string
		set  *Set
		in   []string
		out  []string
	}{
		{"nil", nil, nil, []string{"10.0.0.1", "::1"}},
		{"empty", &Set{}, nil, []string{"10.0.0.1"}},
		{"small", newSet("10.0.0.1", "2001:db8::1"), []string{"10.0.0.1", "::ffff:10.0.0.1", "2001:db8::1"}, []string{"10.0.0.2", "2001:db8::2", "::"}},
		{"large", newSet(large...), []string{"10.0.0.0", "10.0.5.5", "10.0.9.9", "::ffff:10.0.3.7", "2001:db8::1", "2001:db8::ff"}, []string{"9.255.255.255", "10.0.10.0", "10.0.0.10", "2001:db8::2", "::1"}},
	}
	for _, tc := range tests {
		for _, a := range tc.in {
			if !tc.set.Has(netip.MustParseAddr(a)) {
				t.Errorf("%s: Has(%s) = false", tc.name, a)
			}
		}
		for _, a := range tc.out {
			if tc.set.Has(netip.MustParseAddr(a)) {
				t.Errorf("%s: Has(%s) = true", tc.name, a)
			}
		}
		if tc.set.Has(netip.Addr{}) {
			t.Errorf("%s: has the zero address", tc.name)
		}
	}
	if n := (*Set)(nil).Len(); n != 0 {
		t.Errorf("nil set has length %d", n)
	}
	if got := newSet("10.0.0.2", "10.0.0.1").All(); !slices.Equal(got, addrs("10.0.0.1", "10.0.0.2")) {
		t.Errorf("All = %v", got)
	}
}

func TestSetOut(t *testing.T) {
	s := newSet("13.37.1.1", "2001:db8::1")
	tests := []struct {
		rr  string
		out bool
	}{
		{"web.example.org. 60 IN A 13.37.1.1", true},
		{"web.example.org. 60 IN A 13.37.1.2", false},
		{"web.example.org. 60 IN AAAA 2001:db8::1", true},
		{"web.example.org. 60 IN AAAA ::ffff:13.37.1.1", true},
		{"web.example.org. 60 IN AAAA 2001:db8::2", false},
		{"web.example.org. 60 IN TXT \"13.37.1.1\"", false},
	}
	for _, tc := range tests {
		rr, err := dns.NewRR(tc.rr)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Out(rr); got != tc.out {
			t.Errorf("Out(%s) = %v, want %v", tc.rr, got, tc.out)
		}
		if (*Set)(nil).Out(rr) {
			t.Errorf("nil set takes out %s", tc.rr)
		}
	}
	rr, _ := dns.NewRR("web.example.org. 60 IN A 13.37.1.1")
	if n := testing.AllocsPerRun(100, func() { s.Out(rr) }); n != 0 {
		t.Errorf("Out allocates %v times", n)
	}
}

// downChecker returns an unstarted checker with services web (100 members,
// the even ones down) and db (2 members, passing), published.
func downChecker(t testing.TB) (*Checker, []netip.Addr) {
	var web []netip.Addr
	for i := range 100 {
		web = append(web, netip.AddrFrom4([4]byte{10, 1, 0, byte(i)}))
	}
	ms := newMembers(map[string][]netip.Addr{
		"web.example.org.": web,
		"db.example.org.":  addrs("10.2.0.1", "10.2.0.2"),
	})
	c, err := New(Config{Checks: []Check{{Kind: TCP, Port: 80}}, Fall: 1}, ms.fn)
	if err != nil {
		t.Fatal(err)
	}
	c.recompute()
	for i, a := range web {
		if i%2 == 0 {
			c.report(c.targets[targetKey{0, a}], false)
		}
	}
	flush(c)
	return c, web
}

func TestDownAllocatesNothing(t *testing.T) {
	c, web := downChecker(t)
	if s := c.Down("web.example.org."); s.Len() != 50 {
		t.Fatalf("web has %d down, want 50", s.Len())
	}
	var sink bool
	tests := []struct {
		name string
		f    func()
	}{
		{"down and has", func() { sink = c.Down("web.example.org.").Has(web[3]) }},
		{"down and has, member down", func() { sink = c.Down("web.example.org.").Has(web[4]) }},
		{"passing service", func() { sink = c.Down("db.example.org.").Has(web[4]) }},
		{"unchecked service", func() { sink = c.Down("mail.example.org.").Has(web[4]) }},
		{"has on nil", func() { sink = (*Set)(nil).Has(web[0]) }},
	}
	for _, tc := range tests {
		if n := testing.AllocsPerRun(1000, tc.f); n != 0 {
			t.Errorf("%s: %v allocations", tc.name, n)
		}
	}
	_ = sink
}

// TestConcurrentReaders reads Down and Has from several goroutines while
// states, members and snapshots change (run it with -race).
func TestConcurrentReaders(t *testing.T) {
	c, web := downChecker(t)
	var stop atomic.Bool
	var wg sync.WaitGroup
	var reads atomic.Int64
	for r := range 4 {
		wg.Go(func() {
			n := 0
			for i := 0; !stop.Load(); i++ {
				s := c.Down("web.example.org.")
				if s.Len() > len(web) {
					t.Errorf("reader %d: %d down of %d", r, s.Len(), len(web))
					return
				}
				if s.Has(web[i%len(web)]) {
					n++
				}
				c.Down("db.example.org.").Has(web[0])
				reads.Add(1)
				if i%64 == 0 {
					runtime.Gosched() // let the writer on, with GOMAXPROCS 1
				}
			}
			_ = n
		})
	}
	wg.Go(func() {
		for range 20 {
			c.Stats()
		}
	})
	ms := c.members
	for round := range 200 {
		c.mu.Lock()
		ts := make([]*target, 0, len(c.targets))
		for _, tg := range c.targets {
			ts = append(ts, tg)
		}
		c.mu.Unlock()
		for i, tg := range ts {
			c.report(tg, (i+round)%3 != 0)
		}
		if round%10 == 0 {
			c.members = func() map[string][]netip.Addr {
				m := ms()
				m2 := map[string][]netip.Addr{"db.example.org.": m["db.example.org."]}
				m2["web.example.org."] = m["web.example.org."][round%50:]
				return m2
			}
			c.recompute()
		}
		flush(c)
	}
	waitFor(t, time.Second, "reads", func() bool { return reads.Load() > 0 })
	stop.Store(true)
	wg.Wait()
}
