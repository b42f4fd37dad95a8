package rotate

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"
)

// downSet takes the records with these addresses out.
type downSet map[string]bool

func (d downSet) Out(rr dns.RR) bool { return d[rr.(*dns.A).A.String()] }

func ips(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		out = append(out, rr.(*dns.A).A.String())
	}
	return out
}

// A window of 8 over 40 records moves on by 8 with every answer: 5
// consecutive answers give every record once.
func TestWindowCoversEveryRecord(t *testing.T) {
	var all []string
	for i := range 40 {
		all = append(all, fmt.Sprintf("192.0.2.%d", i+1))
	}
	rrs := records(t, all...)
	var c atomic.Uint32
	seen := map[string]int{}
	for range 5 {
		ans := Cyclic.AppendWindow(nil, Slice(rrs), &c, 8, nil)
		if len(ans) != 8 {
			t.Fatalf("%d records, want 8", len(ans))
		}
		for _, ip := range ips(ans) {
			seen[ip]++
		}
	}
	if len(seen) != 40 {
		t.Fatalf("5 answers covered %d of 40 records", len(seen))
	}
	for ip, n := range seen {
		if n != 1 {
			t.Errorf("%s answered %d times", ip, n)
		}
	}
}

func TestWindowFilter(t *testing.T) {
	rrs := records(t, "192.0.2.1", "192.0.2.2", "192.0.2.3")
	for _, tc := range []struct {
		name string
		o    Order
		max  int
		down downSet
		want int
	}{
		{"one down", Cyclic, 0, downSet{"192.0.2.2": true}, 2},
		{"one down, window of 1", Cyclic, 1, downSet{"192.0.2.2": true}, 1},
		{"all down: fail open", Cyclic, 0, downSet{"192.0.2.1": true, "192.0.2.2": true, "192.0.2.3": true}, 3},
		{"all down, window of 2: fail open", Cyclic, 2, downSet{"192.0.2.1": true, "192.0.2.2": true, "192.0.2.3": true}, 2},
		{"random, one down", Random, 0, downSet{"192.0.2.3": true}, 2},
		{"fixed, window larger than the set", Fixed, 10, nil, 3},
	} {
		var c atomic.Uint32
		for range 6 {
			var f Filter
			if tc.down != nil {
				f = tc.down
			}
			ans := tc.o.AppendWindow(nil, Slice(rrs), &c, tc.max, f)
			if len(ans) != tc.want {
				t.Fatalf("%s: %d records, want %d", tc.name, len(ans), tc.want)
			}
			allDown := len(tc.down) == len(rrs)
			for _, ip := range ips(ans) {
				if tc.down[ip] && !allDown {
					t.Errorf("%s: %s is down but answered", tc.name, ip)
				}
			}
		}
	}
}

// lastByte takes out the addresses ending in its value, without allocating.
type lastByte byte

func (b lastByte) Out(rr dns.RR) bool { a := rr.(*dns.A).A; return a[len(a)-1] == byte(b) }

func TestWindowAllocatesNothing(t *testing.T) {
	rrs := records(t, "192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4")
	dst := make([]dns.RR, 0, 8)
	var c atomic.Uint32
	var f Filter = lastByte(2)
	var recs Records = Slice(rrs)
	if n := testing.AllocsPerRun(100, func() { dst = Cyclic.AppendWindow(dst[:0], recs, &c, 2, f) }); n != 0 {
		t.Errorf("%v allocations per answer", n)
	}
}
