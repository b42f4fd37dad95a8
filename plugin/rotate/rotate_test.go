package rotate

import (
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"
)

func records(t *testing.T, ips ...string) []dns.RR {
	t.Helper()
	var rrs []dns.RR
	for _, ip := range ips {
		rr, err := dns.NewRR("web.example.org. 60 IN A " + ip)
		if err != nil {
			t.Fatal(err)
		}
		rrs = append(rrs, rr)
	}
	return rrs
}

func firsts(o Order, rrs []dns.RR, n int) []string {
	var c atomic.Uint32
	var out []string
	for range n {
		ans := o.Append(nil, Slice(rrs), &c)
		out = append(out, ans[0].(*dns.A).A.String())
	}
	return out
}

func TestAppend(t *testing.T) {
	rrs := records(t, "13.37.1.1", "13.37.1.2", "13.37.1.3")
	tests := []struct {
		order Order
		want  []string
	}{
		{Cyclic, []string{"13.37.1.1", "13.37.1.2", "13.37.1.3", "13.37.1.1"}},
		{Fixed, []string{"13.37.1.1", "13.37.1.1", "13.37.1.1", "13.37.1.1"}},
	}
	for _, tc := range tests {
		got := firsts(tc.order, rrs, len(tc.want))
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: answer %d starts with %s, want %s", tc.order, i, got[i], tc.want[i])
			}
		}
	}
	if rrs[0].(*dns.A).A.String() != "13.37.1.1" {
		t.Error("stored RRset was reordered")
	}
}

func TestRandomKeepsEveryRecord(t *testing.T) {
	rrs := records(t, "13.37.1.1", "13.37.1.2", "13.37.1.3", "13.37.1.4")
	var c atomic.Uint32
	seen := map[string]bool{}
	for range 200 {
		ans := Random.Append(nil, Slice(rrs), &c)
		if len(ans) != len(rrs) {
			t.Fatalf("answer has %d records, want %d", len(ans), len(rrs))
		}
		set := map[string]bool{}
		for _, rr := range ans {
			set[rr.String()] = true
		}
		if len(set) != len(rrs) {
			t.Fatalf("answer lost or repeated a record: %v", ans)
		}
		seen[ans[0].String()] = true
	}
	if len(seen) < 2 {
		t.Error("random order always starts with the same record")
	}
	if rrs[0].(*dns.A).A.String() != "13.37.1.1" {
		t.Error("stored RRset was reordered")
	}
}

func TestParse(t *testing.T) {
	for _, s := range []string{"cyclic", "random", "fixed"} {
		o, err := Parse(s)
		if err != nil || o.String() != s {
			t.Errorf("Parse(%q) = %v, %v", s, o, err)
		}
	}
	if _, err := Parse("roundrobin"); err == nil {
		t.Error("Parse accepted an unknown order")
	}
}

func BenchmarkCyclicAppend(b *testing.B) {
	rrs := make([]dns.RR, 8)
	for i := range rrs {
		rrs[i] = &dns.A{}
	}
	var c atomic.Uint32
	dst := make([]dns.RR, 0, len(rrs))
	var recs Records = Slice(rrs)
	b.ReportAllocs()
	for b.Loop() {
		dst = Cyclic.Append(dst[:0], recs, &c)
	}
}
