package zone

import (
	"math/rand/v2"
	"net"
	"slices"
	"testing"

	"github.com/miekg/dns"
)

// chunked.with agrees with a plain merge, on random services, applied in
// chains so that chunks split and small ones join; the chunks stay within
// their bounds and the index agrees with them.
func TestChunkedWith(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	a := func(i int) dns.RR {
		return &dns.A{Hdr: dns.RR_Header{Name: "web.example.org.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(10, 0, byte(i>>8), byte(i)).To4()}
	}
	var c *chunked
	var cur []dns.RR
	for round := range 2000 {
		n := r.IntN(40)
		if round%100 == 0 {
			n = 2000
		}
		pool := r.Perm(n * 2)
		if round%10 == 0 { // a new list; otherwise the last one goes on changing
			cur = nil
			for _, i := range pool[:n] {
				cur = append(cur, a(i))
			}
			slices.SortFunc(cur, byAddress)
			c = newChunked(cur)
		}
		pool = slices.DeleteFunc(pool, func(i int) bool {
			_, found := slices.BinarySearchFunc(cur, a(i), byAddress)
			return found
		})
		gone := map[string]bool{}
		for range r.IntN(5) {
			if len(cur) > 0 {
				gone[string(ipOf(cur[r.IntN(len(cur))]))] = true
			}
		}
		var added []dns.RR
		for _, i := range pool[:r.IntN(min(n+1, len(pool)+1))] {
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
		slices.SortFunc(added, byAddress)
		c = c.with(gone, slices.Clone(added))
		got := c.all()
		if len(got) != len(want) {
			t.Fatalf("round %d: %d records, want %d", round, len(got), len(want))
		}
		for i := range got {
			if byAddress(got[i], want[i]) != 0 {
				t.Fatalf("round %d: record %d is %v, want %v", round, i, got[i], want[i])
			}
			if c.At(i) != got[i] {
				t.Fatalf("round %d: At(%d) disagrees with the chunks", round, i)
			}
		}
		for j, ch := range c.chunks {
			if len(ch) == 0 || len(ch) > chunkMax {
				t.Fatalf("round %d: chunk %d of %d holds %d records", round, j, len(c.chunks), len(ch))
			}
		}
		if len(c.chunks) > 2+c.Len()/chunkMin {
			t.Fatalf("round %d: %d chunks for %d records", round, len(c.chunks), c.Len())
		}
		cur = want
	}
}
