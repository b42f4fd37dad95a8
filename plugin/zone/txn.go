package zone

import (
	"slices"

	"github.com/dyndns/dyndns/plugin/serial"

	iradix "github.com/hashicorp/go-immutable-radix/v2"
	"github.com/miekg/dns"
)

// Deriver names the service names (relative to the apex, e.g. "web") that a
// host, whose first label is given, contributes its addresses to. A nil
// Deriver derives nothing.
type Deriver interface {
	Services(label string) []string
}

// Txn is a writer's view of the zone: it starts from a version, reads its own
// writes, and commits to a new version. Only the names it changes are copied.
type Txn struct {
	base    *Version
	origin  string
	deriver Deriver
	tree    *iradix.Txn[*Node]
	members *iradix.Txn[[]dns.RR]
	counts  *iradix.Txn[int]
	leases  *iradix.Txn[int64]
	records int
	bytes   int
	forced  bool // commit even without explicit changes (derived data changed)

	before map[setKey][]dns.RR // explicit RRsets as they were before the first change
	order  []setKey            // the order in which RRsets were first changed
	hosts  map[string]struct{} // names directly below the apex whose addresses changed

	leased     map[string]dns.RR // records whose lease changed, by lease key
	leaseOrder []string          // their keys, in the order first changed
}

type setKey struct {
	name string
	typ  uint16
}

func newTxn(v *Version, d Deriver) *Txn {
	return &Txn{
		base:    v,
		origin:  v.origin,
		deriver: d,
		tree:    v.tree.Txn(),
		members: v.members.Txn(),
		counts:  v.counts.Txn(),
		leases:  v.leases.Txn(),
		records: v.records,
		bytes:   v.bytes,
		before:  map[setKey][]dns.RR{},
		hosts:   map[string]struct{}{},
		leased:  map[string]dns.RR{},
	}
}

// Origin is the zone apex.
func (t *Txn) Origin() string { return t.origin }

// Base is the version the transaction started from.
func (t *Txn) Base() *Version { return t.base }

// Records counts the explicit records as the transaction stands.
func (t *Txn) Records() int { return t.records }

// Bytes is the wire size of the explicit records as the transaction stands.
func (t *Txn) Bytes() int { return t.bytes }

// Node returns the node of name as the transaction stands, or nil.
func (t *Txn) Node(name string) *Node {
	var buf [256]byte
	n, _ := t.tree.Get(appendKey(buf[:0], name, t.origin))
	return n
}

// Own returns the explicit records of type typ at name.
func (t *Txn) Own(name string, typ uint16) []dns.RR {
	if n := t.Node(name); n != nil {
		return n.Own(typ)
	}
	return nil
}

// Set replaces the explicit RRset of type typ at name with rrs (deleting it
// when rrs is empty). name must be lower case and at or below the apex; the
// records must have that owner and type. Set knows no RFC 2136 rules: the
// caller decides what may change.
func (t *Txn) Set(name string, typ uint16, rrs []dns.RR) {
	key := appendKey(nil, name, t.origin)
	n, _ := t.tree.Get(key)
	old := []dns.RR(nil)
	if n != nil {
		old = n.Own(typ)
		n = n.clone()
	} else {
		if len(rrs) == 0 {
			return
		}
		n = &Node{name: name}
	}
	k := setKey{name, typ}
	if _, seen := t.before[k]; !seen {
		t.before[k] = old
		t.order = append(t.order, k)
	}
	t.records += len(rrs) - len(old)
	t.bytes += wireSize(rrs) - wireSize(old)
	n.own = withSet(n.own, typ, rrs)
	n.serve()
	t.put(key, n)
	if (typ == dns.TypeA || typ == dns.TypeAAAA) && parentName(name) == t.origin && name != t.origin {
		t.hosts[name] = struct{}{}
	}
}

// put stores n under key, creating the empty non-terminals above it, or
// removes it (and the empty non-terminals it leaves) when it holds nothing.
func (t *Txn) put(key []byte, n *Node) {
	_, existed := t.tree.Get(key)
	apex := len(key) == 0
	if len(n.sets) == 0 && len(n.derived) == 0 && n.children == 0 && !apex {
		if existed {
			t.tree.Delete(key)
			t.adjustParent(n.name, key, -1)
		}
		return
	}
	t.tree.Insert(key, n)
	if !existed && !apex {
		t.adjustParent(n.name, key, +1)
	}
}

// adjustParent changes the child count of the parent of the node at key.
func (t *Txn) adjustParent(name string, key []byte, delta int) {
	pkey := parentKey(key)
	parent := parentName(name)
	p, _ := t.tree.Get(pkey)
	if p == nil {
		p = &Node{name: parent}
	} else {
		p = p.clone()
	}
	p.children += delta
	t.put(slices.Clone(pkey), p)
}

// parentKey drops the last label (and its separator) from a non-empty key.
func parentKey(key []byte) []byte {
	i := len(key) - 2
	for i >= 0 && key[i] != 0 {
		i--
	}
	return key[:i+1]
}

// Changed reports whether the transaction changes any explicit record.
func (t *Txn) Changed() bool {
	for _, k := range t.order {
		if !sameSet(t.before[k], t.Own(k.name, k.typ)) {
			return true
		}
	}
	return false
}

// keepUnchanged puts back every RRset that the transaction changed and then
// changed back to the same records (a delete and re-add, a re-registration):
// the original set keeps its order and its rotation, and a replay of the
// (empty) change gives the same zone.
func (t *Txn) keepUnchanged() {
	for _, k := range t.order {
		before, after := t.before[k], t.Own(k.name, k.typ)
		if len(before) == 0 || !sameSet(before, after) || &before[0] == &after[0] {
			continue
		}
		key := appendKey(nil, k.name, t.origin)
		n, _ := t.tree.Get(key)
		n = n.clone()
		n.own = withRRset(n.own, k.typ, findSet(t.base.Node(k.name).own, k.typ))
		n.serve()
		t.put(key, n)
	}
}

// Changeset returns the effective change so far: each changed RRset's removed
// records, then its added ones. A record whose TTL changed is removed and
// added again, so replaying Del then Add reproduces the new state exactly.
func (t *Txn) Changeset() Changeset {
	t.keepUnchanged()
	cs := Changeset{From: t.base.Serial()}
	for _, k := range t.order {
		before, after := t.before[k], t.Own(k.name, k.typ)
		t.dropLeases(before, after)
		for _, rr := range before {
			if !slices.ContainsFunc(after, func(x dns.RR) bool { return sameRR(x, rr) }) {
				cs.Del = append(cs.Del, rr)
			}
		}
		for _, rr := range after {
			if !slices.ContainsFunc(before, func(x dns.RR) bool { return sameRR(x, rr) }) {
				cs.Add = append(cs.Add, rr)
			}
		}
	}
	if soa := t.Own(t.origin, dns.TypeSOA); len(soa) > 0 {
		cs.To = soa[0].(*dns.SOA).Serial
	}
	cs.Leases = t.leaseChanges()
	return cs
}

// BumpSerial increments the SOA serial once, in RFC 1982 arithmetic and
// never to 0 (RFC 2136 §3.6).
func (t *Txn) BumpSerial() {
	old := t.Own(t.origin, dns.TypeSOA)
	if len(old) == 0 {
		return
	}
	soa := dns.Copy(old[0]).(*dns.SOA)
	soa.Serial = serial.Next(soa.Serial)
	t.Set(t.origin, dns.TypeSOA, []dns.RR{soa})
}

// sameSet reports whether a and b hold the same records, TTLs included, in any order.
func sameSet(a, b []dns.RR) bool {
	if len(a) != len(b) {
		return false
	}
	for _, rr := range a {
		if !slices.ContainsFunc(b, func(x dns.RR) bool { return sameRR(x, rr) }) {
			return false
		}
	}
	return true
}

// commit derives the service names of the hosts that changed and returns the
// new version.
func (t *Txn) commit(seq uint64) *Version {
	t.derive()
	v := &Version{
		origin:  t.origin,
		tree:    t.tree.CommitOnly(),
		members: t.members.CommitOnly(),
		counts:  t.counts.CommitOnly(),
		leases:  t.leases.CommitOnly(),
		records: t.records,
		bytes:   t.bytes,
		seq:     seq,
	}
	if apex, _ := v.tree.Get(nil); apex != nil {
		if s := apex.RRset(dns.TypeSOA); s != nil {
			v.soa = s.RRs[0].(*dns.SOA)
			neg := dns.Copy(v.soa).(*dns.SOA)
			neg.Hdr.Ttl = min(neg.Hdr.Ttl, neg.Minttl)
			v.negSOA = neg
		}
	}
	return v
}
