package zone

import (
	"slices"

	"github.com/miekg/dns"
)

// A large explicit address set (the seed clients add every host's address
// at the service name too, so `web A` may hold 100,000 records) is kept as
// a derived one is: a chunked list sorted by address, each address counted
// once. Adding or deleting a record copies one leaf and the inner nodes
// above it, O(chunkMax + fanout·log k), where a slice was copied whole on
// every delete; finding a record is a binary search, so such a set needs
// no index of its data; the diff of two versions steps over what they
// share (diffLists). Answers read it a leaf at a time (Segment), as they
// read a derived set.
//
// Its records come in address order, not in the order they were added: an
// RRset has no order (RFC 2181 §5), answers rotate it anyway, and BIND
// keeps its records sorted too. Other types, and address sets of fewer
// than indexMin records, keep the order they were added in.

// isAddress reports whether typ is kept as a sorted set once large.
func isAddress(typ uint16) bool { return typ == dns.TypeA || typ == dns.TypeAAAA }

// sorted reports whether s keeps its records in a chunked list sorted by
// address: a large explicit address set, or a derived one.
func (s *RRset) sorted() bool { return s != nil && s.more().parts != nil }

// sortedList returns the list of the address records rrs, sorted, one
// record per address: the first of records with one address wins, as an
// UPDATE keeps the record already there.
func sortedList(rrs []dns.RR) *chunked {
	rrs = slices.Clone(rrs)
	slices.SortStableFunc(rrs, byAddress)
	rrs = slices.Clip(slices.CompactFunc(rrs, func(a, b dns.RR) bool { return byAddress(a, b) == 0 }))
	hosts := make([]int32, len(rrs))
	for i := range hosts {
		hosts[i] = 1
	}
	nodes := leaves(rrs, hosts)
	for len(nodes) > 1 {
		nodes = pack(nodes)
	}
	if len(nodes) == 0 {
		return &chunked{}
	}
	return &chunked{root: nodes[0]}
}

// sortedSet returns the explicit set of the address records rrs (at least
// indexMin of them), made by cut c from the set before it (nil: none).
func sortedSet(rrs []dns.RR, c *cut) *RRset {
	list := sortedList(rrs)
	first := list.At(0)
	s := &RRset{typ: first.Header().Rrtype, ext: &largeSet{parts: list, id: largeSets.Add(1), cut: c}}
	list.Range(func(rr dns.RR) bool {
		s.size += dns.Len(rr)
		s.mixed = s.mixed || rr.Header().Ttl != first.Header().Ttl
		return true
	})
	return s
}

// appendedSorted returns the sorted set s with the records rrs added, in
// O(log k) each; records whose address s has already are left out.
func (s *RRset) appendedSorted(txn uint64, rrs []dns.RR) *RRset {
	list := s.ext.parts
	fresh := make([]dns.RR, 0, len(rrs))
	delta := make(map[string]int32, len(rrs))
	for _, rr := range rrs {
		ip := string(ipOf(rr))
		if delta[ip] == 0 && list.Hosts([]byte(ip)) == 0 {
			delta[ip] = 1
			fresh = append(fresh, rr)
		}
	}
	slices.SortFunc(fresh, byAddress)
	out := &RRset{typ: s.typ, size: s.size + wireSize(fresh), mixed: s.mixed}
	for _, rr := range fresh {
		out.mixed = out.mixed || rr.Header().Ttl != s.TTL()
	}
	out.ext = &largeSet{parts: list.with(delta, fresh), id: largeSets.Add(1), cut: s.cutFrom(txn, nil)}
	return out
}

// withoutSorted returns the sorted set s without the records drop (records
// of s), in O(log k) each: a slice once fewer than indexMin are left, nil
// when none are.
func (s *RRset) withoutSorted(txn uint64, drop []dns.RR) *RRset {
	delta := make(map[string]int32, len(drop))
	gone := make([]dns.RR, 0, len(drop))
	for _, rr := range drop {
		if ip := string(ipOf(rr)); delta[ip] == 0 { // drop may name a record twice
			delta[ip] = -1
			gone = append(gone, rr)
		}
	}
	list := s.ext.parts.with(delta, nil)
	switch n := list.Len(); {
	case n == 0:
		return nil
	case n < indexMin:
		return ownSet(nil, list.all())
	}
	return &RRset{typ: s.typ, size: s.size - wireSize(gone), mixed: s.mixed,
		ext: &largeSet{parts: list, id: largeSets.Add(1), cut: s.cutFrom(txn, gone)}}
}

// find returns the record of s with rr's address, as a slice of one (or
// none).
func (s *RRset) findSorted(rr dns.RR) []dns.RR {
	if leaf, i, _, ok := s.ext.parts.find(ipOf(rr)); ok {
		return leaf.rrs[i : i+1]
	}
	return nil
}
