package zone

import (
	"math/rand/v2"
	"net"
	"slices"
	"testing"

	"github.com/miekg/dns"
)

// chunked.with agrees with a plain model (address → hosts) over chains of
// random changes, in lists from empty to thousands of records, so chunks
// split and small ones join; the chunks stay within their bounds, At and
// Hosts agree with them, and a version is never changed by the next.
func TestChunkedWith(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	a := func(i int) dns.RR {
		return &dns.A{Hdr: dns.RR_Header{Name: "web.example.org.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(10, 0, byte(i>>8), byte(i)).To4()}
	}
	var c *chunked
	model := map[int]int32{}
	for round := range 3000 {
		if round%200 == 0 { // start over, sometimes big
			c, model = &chunked{}, map[int]int32{}
		}
		span := 60
		if round%200 < 20 {
			span = 5000
		}
		delta := map[string]int32{}
		var fresh []dns.RR
		next := map[int]int32{}
		for k, v := range model {
			next[k] = v
		}
		for range 1 + r.IntN(span/10) {
			i := r.IntN(span)
			d := int32(1)
			if next[i] > 0 && r.IntN(2) == 0 {
				d = -1
			}
			if model[i] == 0 && !slices.ContainsFunc(fresh, func(rr dns.RR) bool { return byAddress(rr, a(i)) == 0 }) {
				fresh = append(fresh, a(i)) // not in the list: its record comes with the change
			}
			next[i] += d
			delta[string(ipOf(a(i)))] += d
		}
		fresh = slices.DeleteFunc(fresh, func(rr dns.RR) bool { return delta[string(ipOf(rr))] <= 0 })
		slices.SortFunc(fresh, byAddress)
		before := c.all()
		nc := c.with(delta, fresh)
		if got := c.all(); !slices.Equal(got, before) {
			t.Fatalf("round %d: with changed the version it started from", round)
		}
		c, model = nc, next
		var want []int
		for i, n := range model {
			if n > 0 {
				want = append(want, i)
			}
		}
		slices.Sort(want)
		got := c.all()
		if len(got) != len(want) {
			t.Fatalf("round %d: %d records, want %d", round, len(got), len(want))
		}
		for k, i := range want {
			if byAddress(got[k], a(i)) != 0 || c.At(k) != got[k] {
				t.Fatalf("round %d: record %d is %v (At: %v), want %v", round, k, got[k], c.At(k), a(i))
			}
			if h := c.Hosts(ipOf(a(i))); h != model[i] {
				t.Fatalf("round %d: %v has %d hosts, want %d", round, a(i), h, model[i])
			}
		}
		for j, ch := range c.chunks {
			if len(ch) == 0 || len(ch) > chunkMax || len(c.hosts[j]) != len(ch) {
				t.Fatalf("round %d: chunk %d of %d holds %d records, %d counts", round, j, len(c.chunks), len(ch), len(c.hosts[j]))
			}
		}
		if len(c.chunks) > 2+c.Len()/chunkMin {
			t.Fatalf("round %d: %d chunks for %d records", round, len(c.chunks), c.Len())
		}
	}
}
