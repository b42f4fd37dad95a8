package zone

import (
	"slices"

	"github.com/miekg/dns"
)

// Node is one owner name of a zone version. Nodes are immutable once
// published; a transaction changes a name by storing a new Node.
//
// A node without data is an empty non-terminal: it exists because names
// below it do (children > 0), which is what answers (NODATA, wildcards) and
// prerequisites ("not in use") need to know.
//
// A node is 48 bytes and, for a name owning at most one set, one
// allocation: most names are hosts, which own one set and derive nothing,
// so a node keeps one set in place, more behind a pointer, and what a
// service name needs behind svc.
type Node struct {
	name     string
	one      [1]*RRset // the explicit set, when there is exactly one
	many     *[]*RRset // the explicit sets, when there are two or more
	children int       // names directly below this one
	svc      *service  // nil: nothing derived here, own is what is served
}

// service is what a name holding derived records serves. It is immutable: a
// changed node gets a new one.
type service struct {
	derived []*RRset // A/AAAA derived from hosts
	sets    []*RRset // own merged with derived, sorted by type

	// held are the (explicit, derived) set pairs, one per type, known to
	// have every derived record among the explicit ones: then the explicit
	// set is served as it is, and a change is checked from its growth.
	held []*[2]*RRset
}

// Name is the owner name, lower case, fully qualified.
func (n *Node) Name() string { return n.name }

// Sets returns the served RRsets, sorted by type. Callers must not modify them.
func (n *Node) Sets() []*RRset {
	if n.svc != nil {
		return n.svc.sets
	}
	return n.OwnSets()
}

// RRset returns the served RRset of type t, or nil.
func (n *Node) RRset(t uint16) *RRset { return findSet(n.Sets(), t) }

// Own returns the explicit records of type t (derived records excluded):
// for a large address set, a copy of them (see RRset.Records).
func (n *Node) Own(t uint16) []dns.RR {
	if s := findSet(n.OwnSets(), t); s != nil {
		return s.Records()
	}
	return nil
}

// OwnRecord returns the explicit record with rr's data (dns.IsDuplicate),
// or nil, through the set's index or order: O(1) or O(log k), not a scan.
func (n *Node) OwnRecord(rr dns.RR) dns.RR {
	s := findSet(n.OwnSets(), rr.Header().Rrtype)
	for _, x := range s.candidates(rr) {
		if dns.IsDuplicate(x, rr) {
			return x
		}
	}
	return nil
}

// Derived returns the address RRsets derived from hosts (a service name's),
// nil for other names. Callers must not modify them.
func (n *Node) Derived() []*RRset {
	if n.svc != nil {
		return n.svc.derived
	}
	return nil
}

// OwnSets returns the explicit RRsets, sorted by type (nil: none).
func (n *Node) OwnSets() []*RRset {
	switch {
	case n.many != nil:
		return *n.many
	case n.one[0] != nil:
		return n.one[:]
	}
	return nil
}

// empty reports whether n holds nothing and has nothing below it.
func (n *Node) empty() bool {
	return n.one[0] == nil && n.many == nil && n.svc == nil && n.children == 0
}

// InUse reports whether the name owns any record (RFC 2136 §2.4.4): an empty
// non-terminal is not in use.
func (n *Node) InUse() bool { return n != nil && len(n.Sets()) > 0 }

// clone returns a shallow copy for a transaction to change.
func (n *Node) clone() *Node {
	c := *n
	return &c
}

// setOwn stores s (nil: none) as the explicit set of type t of n, a node
// the transaction may change.
func (n *Node) setOwn(t uint16, s *RRset) {
	if s != nil && n.many == nil && (n.one[0] == nil || n.one[0].Type() == t) {
		n.one[0] = s
		return
	}
	sets := withRRset(n.OwnSets(), t, s)
	n.one[0], n.many = nil, nil
	switch len(sets) {
	case 0:
	case 1:
		n.one[0] = sets[0]
	default:
		n.many = &sets
	}
}

// serve recomputes the served sets from own and the given derived data
// (the node's own, or what replaces them). An explicit CNAME wins over
// derived addresses; explicit and derived records of one type are merged
// without duplicates into one set whose TTL is the lowest of the two (RFC
// 2181 §5.2 wants one TTL per RRset). When the explicit set already holds
// every derived address at that TTL, it is served itself; a merged set made
// from the same two sets before is kept. Otherwise the smaller of the two
// is looked up in the other (O(min(k, m)·log)), and the name serves a
// union that shares both (see union); only when the explicit TTL is below
// the derived one are the derived records copied at that TTL.
func (n *Node) serve(derived []*RRset) {
	if len(derived) == 0 {
		n.svc = nil
		return
	}
	own := n.OwnSets()
	if findSet(own, dns.TypeCNAME) != nil {
		n.svc = &service{derived: derived, sets: own}
		return
	}
	sets := own
	var held []*[2]*RRset
	for _, d := range derived {
		o := findSet(own, d.Type())
		if o == nil {
			sets = withRRset(sets, d.Type(), d) // the derived set itself: its rotation goes on
			continue
		}
		if prev := findSet(n.Sets(), d.Type()); prev != nil && prev.more().from != nil && *prev.ext.from == [2]*RRset{o, d} {
			sets = withRRset(sets, d.Type(), prev) // merged before from the same sets: its rotation goes on
			continue
		}
		ttl := min(o.TTL(), d.TTL())
		var skip []int // the positions in d of the records o holds
		allHeld := n.stillHeld(o, d)
		if !allHeld {
			skip = overlap(o, d)
			allHeld = len(skip) == d.Len()
		}
		if allHeld {
			held = append(held, &[2]*RRset{o, d})
			if ttl == o.TTL() && !o.mixed {
				continue // sets holds o already
			}
		}
		ownAt := o
		if ttl != o.TTL() || o.mixed {
			rrs := make([]dns.RR, 0, o.Len())
			o.Range(func(rr dns.RR) bool {
				rrs = append(rrs, withTTL(rr, ttl))
				return true
			})
			ownAt = &RRset{RRs: rrs, typ: o.typ}
		}
		merged := &RRset{typ: d.Type(), ext: &largeSet{from: &[2]*RRset{o, d}}}
		switch {
		case allHeld: // o at another TTL: ownAt is a copy
			merged.RRs = ownAt.RRs
		case ttl == d.TTL(): // the derived records are at the set's TTL: shared
			merged.ext.union = &union{own: ownAt, d: d.ext.parts, skip: skip}
		default:
			merged.RRs = slices.Clip(ownAt.Records())
			(&union{d: d.ext.parts, skip: skip}).Range(func(rr dns.RR) bool {
				merged.RRs = append(merged.RRs, withTTL(rr, ttl))
				return true
			})
		}
		sets = withRRset(sets, d.Type(), merged)
	}
	n.svc = &service{derived: derived, sets: sets, held: held}
}

// overlap returns the positions in the derived set d of the records the
// explicit set o holds, ascending: each record of the smaller set is
// looked up in the other's index.
func overlap(o, d *RRset) []int {
	var skip []int
	if o.Len() < d.Len() {
		o.Range(func(rr dns.RR) bool {
			if p, ok := d.ext.parts.rank(ipOf(rr)); ok {
				skip = append(skip, p)
			}
			return true
		})
		slices.Sort(skip)
		return slices.Compact(skip)
	}
	p := 0
	d.Range(func(rr dns.RR) bool {
		if o.holds(rr) {
			skip = append(skip, p)
		}
		p++
		return true
	})
	return skip
}

// stillHeld reports whether every record of d is known to be among the
// records of o, from what the node knew before this change: o holds at
// least the records of the explicit set it checked then (it shares that
// set's array, which only ever grows at its end), or follows from that set
// by additions and cuts (see cut) of records that d does not hold or o has
// again; and d is the derived set it checked then, or follows from it by
// additions that o holds. Anything else is checked in full.
func (n *Node) stillHeld(o, d *RRset) bool {
	if n.svc == nil {
		return false
	}
	for _, p := range n.svc.held {
		po, pd := p[0], p[1]
		if pd.Type() != d.Type() {
			continue
		}
		if o != po && !(len(o.RRs) >= len(po.RRs) && len(po.RRs) > 0 && &o.RRs[0] == &po.RRs[0]) {
			if po.ext == nil {
				return false
			}
			gone, ok := o.since(po.ext.id)
			if !ok {
				return false
			}
			for _, rr := range gone {
				if d.more().parts.Hosts(ipOf(rr)) > 0 && !o.holds(rr) {
					return false
				}
			}
		}
		if d == pd {
			return true
		}
		if grew := d.more().grew; grew == nil || grew.from != pd.more().id {
			return false
		}
		for _, rr := range d.ext.grew.added {
			if !o.holds(rr) {
				return false
			}
		}
		return true
	}
	return false
}

// withTTL returns rr, or a copy of it with the given TTL.
func withTTL(rr dns.RR, ttl uint32) dns.RR {
	if rr.Header().Ttl == ttl {
		return rr
	}
	return relabeled(rr, rr.Header().Name, ttl)
}

// relabeled returns a copy of rr with the given owner and TTL. An address
// record's copy shares its address, which no stored record ever changes:
// a service of k hosts holds k such copies, and dns.Copy would also copy
// each address (16 bytes as parsed).
func relabeled(rr dns.RR, owner string, ttl uint32) dns.RR {
	h := *rr.Header()
	h.Name, h.Ttl = owner, ttl
	switch rr := rr.(type) {
	case *dns.A:
		return &dns.A{Hdr: h, A: rr.A}
	case *dns.AAAA:
		return &dns.AAAA{Hdr: h, AAAA: rr.AAAA}
	}
	c := dns.Copy(rr)
	*c.Header() = h
	return c
}
