package zone

import (
	"sync/atomic"

	"github.com/miekg/dns"
)

// RRset is an immutable, non-empty set of records of one type at one name.
// A changed RRset is a new RRset, so its rotation counter restarts, as BIND's
// per-RRset counter does.
type RRset struct {
	RRs []dns.RR
	// Next is the rotation counter shared by every answer of this RRset.
	Next atomic.Uint32
}

// Type is the RR type of the set.
func (s *RRset) Type() uint16 { return s.RRs[0].Header().Rrtype }

// TTL is the TTL of the set (the first record's; sets are kept uniform).
func (s *RRset) TTL() uint32 { return s.RRs[0].Header().Ttl }

// findSet returns the set of type t in sets (sorted by type), or nil.
func findSet(sets []*RRset, t uint16) *RRset {
	for _, s := range sets {
		if s.Type() == t {
			return s
		}
	}
	return nil
}

// withSet returns a copy of sets with the set of type t replaced by rrs
// (removed when rrs is empty), keeping the order by type.
func withSet(sets []*RRset, t uint16, rrs []dns.RR) []*RRset {
	if len(rrs) == 0 {
		return withRRset(sets, t, nil)
	}
	return withRRset(sets, t, &RRset{RRs: rrs})
}

// withRRset is withSet for an existing set (nil removes), which keeps its
// rotation counter.
func withRRset(sets []*RRset, t uint16, set *RRset) []*RRset {
	out := make([]*RRset, 0, len(sets)+1)
	added := set == nil
	for _, s := range sets {
		switch {
		case s.Type() == t:
			continue
		case !added && s.Type() > t:
			out = append(out, set)
			added = true
		}
		out = append(out, s)
	}
	if !added {
		out = append(out, set)
	}
	return out
}

// sameRR reports whether a and b are the same record, TTL included.
func sameRR(a, b dns.RR) bool {
	return a.Header().Ttl == b.Header().Ttl && dns.IsDuplicate(a, b)
}

// containsRR reports whether rrs holds a record with rr's data (TTL ignored).
func containsRR(rrs []dns.RR, rr dns.RR) bool {
	for _, x := range rrs {
		if dns.IsDuplicate(x, rr) {
			return true
		}
	}
	return false
}

// wireSize is the uncompressed wire length of rrs.
func wireSize(rrs []dns.RR) int {
	n := 0
	for _, rr := range rrs {
		n += dns.Len(rr)
	}
	return n
}
