package zone

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/miekg/dns"
)

// chunked.with agrees with a plain model (address → hosts) over chains of
// random changes, in lists from empty to tens of thousands of records, so
// leaves split and small ones join and the tree grows and loses levels; the
// nodes stay within their bounds, At and Hosts agree with them, and a
// version is never changed by the next.
func TestChunkedWith(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	a := func(i int) dns.RR { return webA(i, 60) }
	var c *chunked
	model := map[int]int32{}
	for round := range 3000 {
		if round%200 == 0 || round%1000 == 5 { // start over: big lists stay for 5 rounds
			c, model = &chunked{}, map[int]int32{}
		}
		span := 60
		switch {
		case round%1000 < 5:
			span = 200_000 // thousands of leaves: inner nodes split
		case round%200 < 20:
			span = 5000
		}
		delta := map[string]int32{}
		var fresh []dns.RR
		inFresh := map[int]bool{}
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
			if model[i] == 0 && !inFresh[i] {
				inFresh[i] = true
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
		checkParts(t, round, c)
	}
}

// checkParts checks the shape of a chunked list: leaves hold 1 to chunkMax
// records with as many counts, inner nodes 1 to fanout children whose
// counts and last records they index right, every leaf at the same depth,
// and not many more leaves than records need.
func checkParts(t *testing.T, round int, c *chunked) {
	t.Helper()
	if c.root == nil {
		return
	}
	leaves, depth := 0, -1
	var walk func(n *part, d int)
	walk = func(n *part, d int) {
		if !n.inner() {
			if len(n.rrs) == 0 || len(n.rrs) > chunkMax || len(n.hosts) != len(n.rrs) {
				t.Fatalf("round %d: a leaf holds %d records, %d counts", round, len(n.rrs), len(n.hosts))
			}
			if depth >= 0 && d != depth {
				t.Fatalf("round %d: leaves at depths %d and %d", round, depth, d)
			}
			depth = d
			leaves++
			return
		}
		if len(n.kids) == 0 || len(n.kids) > fanout || len(n.ends) != len(n.kids) || len(n.lasts) != len(n.kids) {
			t.Fatalf("round %d: an inner node has %d children, %d ends, %d lasts", round, len(n.kids), len(n.ends), len(n.lasts))
		}
		total := 0
		for i, k := range n.kids {
			total += k.size()
			if n.ends[i] != total || n.lasts[i] != k.last() {
				t.Fatalf("round %d: child %d is indexed as ending at %d with %v, holds up to %d ending with %v", round, i, n.ends[i], n.lasts[i], total, k.last())
			}
			walk(k, d+1)
		}
	}
	walk(c.root, 0)
	if leaves > 2+c.Len()/chunkMin {
		t.Fatalf("round %d: %d leaves for %d records", round, leaves, c.Len())
	}
}

// TestJoinCopiesNoMoreInABigService: a record joining a list of 300,000
// copies about what one joining a list of 20,000 copies (a leaf and the
// index nodes above it, two levels for both), not an index of the whole
// list: at most 1.5 times the bytes. A flat index of the leaves copied 7
// times more at 300,000.
func TestJoinCopiesNoMoreInABigService(t *testing.T) {
	a := func(i int) dns.RR { return webA(i, 60) }
	perJoin := func(k int) float64 {
		c := evenAddresses(k) // the odd addresses are free to join
		const joins = 200
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for j := range joins {
			rr := a(2*(j*(k/joins)) + 1)
			c.with(map[string]int32{string(ipOf(rr)): 1}, []dns.RR{rr})
		}
		runtime.ReadMemStats(&after)
		return float64(after.TotalAlloc-before.TotalAlloc) / joins
	}
	small, big := perJoin(20_000), perJoin(300_000)
	t.Logf("bytes per join: %.0f at 20,000 records, %.0f at 300,000", small, big)
	if big > 1.5*small {
		t.Errorf("a join copies %.0f bytes at 300,000 records, %.1f times the %.0f at 20,000", big, big/small, small)
	}
}

// evenAddresses is a chunked list of the k addresses webA(0), webA(2), ...
// each of one host.
func evenAddresses(k int) *chunked {
	delta := make(map[string]int32, k)
	fresh := make([]dns.RR, k)
	for i := range k {
		fresh[i] = webA(2*i, 60)
		delta[string(ipOf(fresh[i]))] = 1
	}
	return (&chunked{}).with(delta, fresh)
}
