package zone

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/miekg/dns"
)

// diffLists agrees with a diff of the two lists' records, for a list and
// versions of it a few random changes away (sharing most of their nodes,
// some with the tree a level taller or shorter), for lists with nothing in
// common, and with the empty list; it stops when asked to.
func TestDiffLists(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	modelDiff := func(a, b *chunked) (onlyA, onlyB []dns.RR) {
		as, bs := a.all(), b.all()
		byIP := func(rrs []dns.RR) map[string]dns.RR {
			m := make(map[string]dns.RR, len(rrs))
			for _, rr := range rrs {
				m[string(ipOf(rr))] = rr
			}
			return m
		}
		inA, inB := byIP(as), byIP(bs)
		for _, rr := range as {
			if x, ok := inB[string(ipOf(rr))]; !ok || !sameRR(x, rr) {
				onlyA = append(onlyA, rr)
			}
		}
		for _, rr := range bs {
			if x, ok := inA[string(ipOf(rr))]; !ok || !sameRR(x, rr) {
				onlyB = append(onlyB, rr)
			}
		}
		return onlyA, onlyB
	}
	changed := func(c *chunked, n, span int) *chunked {
		delta := map[string]int32{}
		var fresh []dns.RR
		for range n {
			i := r.IntN(span)
			ip := string(ipOf(webA(i, 60)))
			switch {
			case delta[ip] != 0:
			case c.Hosts([]byte(ip)) > 0:
				delta[ip] = -c.Hosts([]byte(ip))
			default:
				ttl := uint32(60)
				if r.IntN(4) == 0 {
					ttl = 300
				}
				delta[ip] = 1
				fresh = append(fresh, webA(i, ttl))
			}
		}
		slices.SortFunc(fresh, byAddress)
		return c.with(delta, fresh)
	}
	rounds := 80
	if raceEnabled {
		rounds = 20
	}
	for round := range rounds {
		span := []int{50, 2_000, 20_000, 60_000}[round%4]
		a := sortedList(nil)
		if round%5 > 0 {
			a = changed(a, span/3, span)
		}
		var b *chunked
		switch round % 3 {
		case 0:
			b = changed(a, 1+r.IntN(8), span) // a few changes: most nodes shared
		case 1:
			b = changed(sortedList(nil), span/3, span) // nothing shared
		default:
			b = changed(a, span/2, span) // many changes: the height may differ
		}
		for _, pair := range [][2]*chunked{{a, b}, {b, a}} {
			var gotA, gotB []dns.RR
			diffLists(pair[0], pair[1], func(rr dns.RR, inA bool) bool {
				if inA {
					gotA = append(gotA, rr)
				} else {
					gotB = append(gotB, rr)
				}
				return true
			})
			wantA, wantB := modelDiff(pair[0], pair[1])
			if !slices.Equal(gotA, wantA) || !slices.Equal(gotB, wantB) {
				t.Fatalf("round %d (%d and %d records): diff gives %d and %d records, want %d and %d",
					round, pair[0].Len(), pair[1].Len(), len(gotA), len(gotB), len(wantA), len(wantB))
			}
			calls := 0
			diffLists(pair[0], pair[1], func(dns.RR, bool) bool { calls++; return false })
			if want := min(1, len(wantA)+len(wantB)); calls != want {
				t.Fatalf("round %d: fn called %d times after it returned false, want %d", round, calls, want)
			}
		}
	}
}
