package rotate

import (
	"fmt"
	"slices"
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

// pieces holds records in slices of at most size, as a large derived set
// does, so that answers read them a segment at a time.
type pieces struct {
	rrs  []dns.RR
	size int
}

func (p pieces) Len() int { return len(p.rrs) }
func (p pieces) Segment(i int) []dns.RR {
	end := min((i/p.size+1)*p.size, len(p.rrs))
	return p.rrs[i:end]
}

// TestSegmentsAnswerAsASlice: records held in pieces give the answers the
// same records in one slice give, in every order, window and filter, from
// every starting point of the rotation.
func TestSegmentsAnswerAsASlice(t *testing.T) {
	var all []string
	for i := range 23 {
		all = append(all, fmt.Sprintf("10.0.0.%d", i+1))
	}
	rrs := records(t, all...)
	everyone := downSet{}
	for _, ip := range all {
		everyone[ip] = true
	}
	for _, size := range []int{1, 3, 7, 23, 50} {
		for _, o := range []Order{Cyclic, Fixed} {
			for _, max := range []int{0, 1, 5, 22, 23, 40} {
				for _, f := range []Filter{nil, lastByte(4), downSet{"10.0.0.1": true, "10.0.0.2": true, "10.0.0.23": true}, everyone} {
					var c1, c2 atomic.Uint32
					for round := range 30 {
						want := ips(o.AppendWindow(nil, Slice(rrs), &c1, max, f))
						got := ips(o.AppendWindow(nil, pieces{rrs, size}, &c2, max, f))
						if !slices.Equal(got, want) {
							t.Fatalf("pieces of %d, %v, max %d, filter %v, round %d: %v, want %v", size, o, max, f, round, got, want)
						}
						want = ips(o.Append(nil, Slice(rrs), &c1))
						got = ips(o.Append(nil, pieces{rrs, size}, &c2))
						if !slices.Equal(got, want) {
							t.Fatalf("pieces of %d, %v, Append, round %d: %v, want %v", size, o, round, got, want)
						}
					}
				}
			}
		}
	}
}
