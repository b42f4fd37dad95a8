package zone

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/miekg/dns"
)

// A union reads as the explicit records followed by the derived ones whose
// addresses they lack, whichever way it is read (Range, At, Segment), for
// derived lists of one leaf to many and overlaps from none to all.
func TestUnionReadsAsOwnThenTheRest(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	a := func(i int) dns.RR { return webA(i, 60) }
	for round := range 200 {
		k := 1 + r.IntN(2000)
		d := evenAddresses(k)
		var own []dns.RR
		heldIPs := map[string]bool{}
		for range r.IntN(40) {
			i := r.IntN(2*k + 10) // an address d has (even) or lacks (odd)
			rr := a(i)
			if heldIPs[string(ipOf(rr))] {
				continue
			}
			heldIPs[string(ipOf(rr))] = true
			own = append(own, rr)
		}
		if round%20 == 0 { // sometimes own holds every derived address
			own, heldIPs = d.all(), map[string]bool{}
			for _, rr := range own {
				heldIPs[string(ipOf(rr))] = true
			}
		}
		var skip []int
		for _, rr := range own {
			if p, ok := d.rank(ipOf(rr)); ok {
				skip = append(skip, p)
			}
		}
		slices.Sort(skip)
		o := ownSet(nil, own) // sorted when large
		u := &union{own: o, d: d, skip: skip}

		var want []dns.RR
		if o != nil {
			want = o.Records()
		}
		for _, rr := range d.all() {
			if !heldIPs[string(ipOf(rr))] {
				want = append(want, rr)
			}
		}
		if got := u.all(); !slices.Equal(got, want) || u.Len() != len(want) {
			t.Fatalf("round %d: Range gives %d records, Len %d, want %d", round, len(got), u.Len(), len(want))
		}
		var bySegment []dns.RR
		for i := 0; i < u.Len(); {
			seg := u.segment(i)
			if len(seg) == 0 {
				t.Fatalf("round %d: empty segment at %d", round, i)
			}
			seg = seg[:min(len(seg), u.Len()-i)]
			bySegment = append(bySegment, seg...)
			i += len(seg)
		}
		if !slices.Equal(bySegment, want) {
			t.Fatalf("round %d: segments give other records than Range", round)
		}
		for i, rr := range want {
			if u.At(i) != rr {
				t.Fatalf("round %d: At(%d) = %v, want %v", round, i, u.At(i), rr)
			}
		}
	}
}
