package zone

import (
	"github.com/miekg/dns"
)

// Version is one immutable state of a zone. Readers load the current version
// with one atomic read and never wait for writers; a commit builds the next
// version by copying only the tree paths to the names it changed.
type Version struct {
	origin  string
	tree    tree[*Node]
	leases  tree[int64] // record identity → lease deadline, see lease.go
	soa     *dns.SOA
	negSOA  *dns.SOA // the SOA for negative answers: TTL = min(SOA TTL, MINIMUM)
	records int      // explicit records
	bytes   int      // their wire size, uncompressed
	seq     uint64   // commit sequence number within this process
}

func newVersion(origin string) *Version {
	return &Version{origin: origin, tree: newTree[*Node](), leases: newTree[int64]()}
}

// Origin is the zone apex.
func (v *Version) Origin() string { return v.origin }

// SOA returns the apex SOA, or nil for a zone that has none yet.
func (v *Version) SOA() *dns.SOA { return v.soa }

// Serial returns the SOA serial (0 without an SOA).
func (v *Version) Serial() uint32 {
	if v.soa == nil {
		return 0
	}
	return v.soa.Serial
}

// Records counts the explicit records of the zone.
func (v *Version) Records() int { return v.records }

// Bytes is the uncompressed wire size of the explicit records: what
// max-zone-bytes bounds.
func (v *Version) Bytes() int { return v.bytes }

// Names counts the names of the zone, empty non-terminals included.
func (v *Version) Names() int { return v.tree.Len() }

// Node returns the node of name (a FQDN at or below the apex, any case), or
// nil when the name does not exist. It does not allocate.
func (v *Version) Node(name string) *Node {
	var buf [256]byte
	n, _ := v.tree.get(probe(appendKey(buf[:0], name, v.origin)))
	return n
}

// Walk calls fn for every node in DNS canonical order, apex first, until fn
// returns false.
func (v *Version) Walk(fn func(*Node) bool) {
	v.tree.walk(func(_ string, n *Node) bool { return fn(n) })
}

// WalkServed calls fn for every served record (derived ones included), SOA
// first, then the rest in canonical order: the body of an AXFR.
func (v *Version) WalkServed(fn func(dns.RR) error) error {
	return v.walkRRs(fn, (*Node).Sets)
}

// WalkOwn calls fn for every explicit record, SOA first, then the rest in
// canonical order: what a snapshot stores, since derived records are
// recomputed from their hosts when the zone is loaded.
func (v *Version) WalkOwn(fn func(dns.RR) error) error {
	return v.walkRRs(fn, (*Node).OwnSets)
}

func (v *Version) walkRRs(fn func(dns.RR) error, sets func(*Node) []*RRset) error {
	if v.soa != nil {
		if err := fn(v.soa); err != nil {
			return err
		}
	}
	var err error
	v.Walk(func(n *Node) bool {
		for _, s := range sets(n) {
			if s.Type() == dns.TypeSOA {
				continue
			}
			s.Range(func(rr dns.RR) bool {
				err = fn(rr)
				return err == nil
			})
			if err != nil {
				return false
			}
		}
		return true
	})
	return err
}
