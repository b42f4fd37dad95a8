package zone

import (
	"math/rand/v2"
	"net"
	"slices"
	"testing"

	"github.com/miekg/dns"
)

// mergeSorted agrees with the plain merge it replaces, on random services.
func TestMergeSorted(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	a := func(i int) dns.RR {
		return &dns.A{Hdr: dns.RR_Header{Name: "web.example.org.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(10, 0, byte(i>>8), byte(i)).To4()}
	}
	for round := range 2000 {
		n := r.IntN(40)
		if round%100 == 0 {
			n = 2000
		}
		pool := r.Perm(n * 2)
		var cur []dns.RR
		for _, i := range pool[:n] {
			cur = append(cur, a(i))
		}
		slices.SortFunc(cur, byAddress)
		gone := map[string]bool{}
		for range r.IntN(5) {
			if len(cur) > 0 {
				gone[string(ipOf(cur[r.IntN(len(cur))]))] = true
			}
		}
		var added []dns.RR
		for _, i := range pool[n : n+r.IntN(n+1)] {
			added = append(added, a(i))
		}
		if len(cur) > 0 && r.IntN(3) == 0 { // an address that goes and comes back
			ip := ipOf(cur[r.IntN(len(cur))])
			gone[string(ip)] = true
			added = append(added, &dns.A{Hdr: cur[0].(*dns.A).Hdr, A: net.IP(slices.Clone(ip))})
		}
		var want []dns.RR
		for _, rr := range cur {
			if !gone[string(ipOf(rr))] {
				want = append(want, rr)
			}
		}
		want = append(want, added...)
		slices.SortStableFunc(want, byAddress)
		got := mergeSorted(cur, gone, slices.Clone(added))
		if len(got) != len(want) {
			t.Fatalf("round %d: %d records, want %d", round, len(got), len(want))
		}
		for i := range got {
			if byAddress(got[i], want[i]) != 0 {
				t.Fatalf("round %d: record %d is %v, want %v", round, i, got[i], want[i])
			}
		}
	}
}
