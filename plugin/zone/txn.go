package zone

import (
	"sync/atomic"

	"github.com/dyndns/dyndns/plugin/serial"

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
	id      uint64 // names the transaction to the sets it makes (see cut)
	base    *Version
	origin  string
	deriver Deriver
	tree    tree[*Node]
	leases  tree[int64]
	records int
	bytes   int
	forced  bool // commit even without explicit changes (derived data changed)

	rederiving bool // derive every host from nothing (new rules, see rederive)
	untracked  bool // a load: no changeset of records is kept (see Zone.Load)

	changed   []changedSet   // the explicit RRsets changed, in the order first changed
	changedAt map[setKey]int // their index in changed, once there are many (see touch)
	hosts     []string       // names directly below the apex whose addresses changed (repeats allowed)

	made     map[*Node]struct{} // parent nodes this transaction made: see adjustParent
	emptied  []string           // keys of nodes put empty: see put and sweep
	unserved []string           // keys of names with derived data whose explicit sets changed: see replace

	leased     map[string]dns.RR // records whose lease changed, by lease key
	leaseOrder []string          // their keys, in the order first changed
}

// changedSet is an explicit RRset a transaction changed.
type changedSet struct {
	key    setKey
	before *RRset // the set before the first change (nil: none)
	shared span   // what the set shares with before, as last compared
}

// changedSmall is how many changed sets touch finds by a scan, before it
// indexes them: most transactions are an UPDATE of a set or two, and a map
// for them cost more than the scan.
const changedSmall = 16

type setKey struct {
	name string
	typ  uint16
}

// txns numbers transactions (Txn.id).
var txns atomic.Uint64

// newTxn starts a transaction on v. Its maps are made on first use: most
// transactions are one small update.
func newTxn(v *Version, d Deriver) *Txn {
	return &Txn{
		id:      txns.Add(1),
		base:    v,
		origin:  v.origin,
		deriver: d,
		tree:    v.tree.clone(),
		leases:  v.leases.clone(),
		records: v.records,
		bytes:   v.bytes,
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
	n, _ := t.tree.get(probe(appendKey(buf[:0], name, t.origin)))
	return n
}

// Own returns the explicit records of type typ at name.
func (t *Txn) Own(name string, typ uint16) []dns.RR {
	if n := t.Node(name); n != nil {
		return n.Own(typ)
	}
	return nil
}

// OwnLen is the number of explicit records of type typ at name, in O(1)
// (Own copies a large address set).
func (t *Txn) OwnLen(name string, typ uint16) int {
	if n := t.Node(name); n != nil {
		return findSet(n.OwnSets(), typ).setLen()
	}
	return 0
}

// Set replaces the explicit RRset of type typ at name with rrs (deleting it
// when rrs is empty). name must be lower case and at or below the apex; the
// records must have that owner and type. Set knows no RFC 2136 rules: the
// caller decides what may change. rrs becomes the set's: the caller must not
// change it afterwards.
//
// Set costs O(records that differ) plus a comparison of pointers with the
// set it replaces; AddRR and DeleteRR change one record of a large set
// without building a slice of all of them.
func (t *Txn) Set(name string, typ uint16, rrs []dns.RR) {
	var kbuf [256]byte
	key, n, old := t.lookup(kbuf[:0], name, typ)
	if n == nil && len(rrs) == 0 {
		return
	}
	t.replace(key, n, name, typ, old, ownSet(old, rrs))
}

// AddRR joins rr, whose owner (lower case, at or below the apex) and type
// name its RRset, to the explicit records as an UPDATE adds one (RFC 2136
// §3.4.2.2): a record with rr's data (dns.IsDuplicate) already in the set
// keeps its place and its spelling (of names in its data, which changesets
// compare without case, so could not carry another), and the set takes rr's
// TTL. When the TTL is the set's, an add costs O(1) amortized whatever the
// size of the set. AddRR knows no CNAME or SOA rules. rr becomes the
// zone's, trimmed (see stored): the caller must not share it.
func (t *Txn) AddRR(rr dns.RR) {
	h := rr.Header()
	name, typ := h.Name, h.Rrtype
	var kbuf [256]byte
	key, n, old := t.lookup(kbuf[:0], name, typ)
	stored(rr, old.first())
	switch {
	case old == nil:
		t.replace(key, n, name, typ, nil, ownSet(nil, []dns.RR{rr}))
	case old.mixed || old.TTL() != h.Ttl:
		// Every record takes the new TTL: the set is rebuilt.
		rrs := make([]dns.RR, 0, old.Len()+1)
		dup := false
		old.Range(func(x dns.RR) bool {
			if dns.IsDuplicate(x, rr) {
				dup = true
			}
			if x.Header().Ttl != h.Ttl {
				x = dns.Copy(x)
				x.Header().Ttl = h.Ttl
			}
			rrs = append(rrs, x)
			return true
		})
		if !dup {
			rrs = append(rrs, rr)
		}
		t.replace(key, n, name, typ, old, ownSet(old, rrs))
	case old.holds(rr):
		t.touch(name, typ, old) // already there with this TTL: nothing changes
	default:
		t.replace(key, n, name, typ, old, old.appended(t.id, rr))
	}
}

// DeleteRR deletes the explicit records with rr's data (dns.IsDuplicate:
// TTL ignored, names in RDATA without case) from the set of rr's owner (lower
// case) and type, and reports whether there were any. Finding them costs
// O(1); deleting copies the set once, unless rr is its last record.
func (t *Txn) DeleteRR(rr dns.RR) bool {
	return t.remove(rr.Header().Name, rr.Header().Rrtype, []dns.RR{rr}, false)
}

// remove deletes from the explicit set of name and typ the records with the
// data of any of rrs (and, when sameTTL is set, their TTL), in one copy of
// the set, and reports whether there were any.
func (t *Txn) remove(name string, typ uint16, rrs []dns.RR, sameTTL bool) bool {
	var kbuf [256]byte
	key, n, old := t.lookup(kbuf[:0], name, typ)
	if old == nil {
		if sameTTL && n != nil {
			t.touch(name, typ, nil)
		}
		return false
	}
	var drop []dns.RR
	for _, rr := range rrs {
		for _, x := range old.candidates(rr) {
			if dns.IsDuplicate(x, rr) && (!sameTTL || x.Header().Ttl == rr.Header().Ttl) {
				drop = append(drop, x)
			}
		}
	}
	if len(drop) == 0 {
		if sameTTL {
			t.touch(name, typ, old)
		}
		return false
	}
	t.replace(key, n, name, typ, old, old.without(t.id, drop))
	return true
}

// appendRR adds rr at the end of its explicit set unless the set has its
// data already (TTL ignored), as a changeset is replayed. It does not trim
// rr (see stored): a changeset's records may be a history's, which readers
// share.
func (t *Txn) appendRR(rr dns.RR) {
	h := rr.Header()
	var kbuf [256]byte
	key, n, old := t.lookup(kbuf[:0], h.Name, h.Rrtype)
	switch {
	case old == nil:
		t.replace(key, n, h.Name, h.Rrtype, nil, ownSet(nil, []dns.RR{rr}))
	case !old.holds(rr):
		t.replace(key, n, h.Name, h.Rrtype, old, old.appended(t.id, rr))
	}
}

// holds reports whether the explicit set of name and typ has a record with
// rr's data (TTL ignored), in O(1).
func (t *Txn) holds(name string, typ uint16, rr dns.RR) bool {
	var kbuf [256]byte
	_, _, s := t.lookup(kbuf[:0], name, typ)
	return s != nil && s.holds(rr)
}

// lookup returns the key and node of name (nil when it does not exist) and
// its explicit set of type typ (nil: none).
func (t *Txn) lookup(buf []byte, name string, typ uint16) ([]byte, *Node, *RRset) {
	key := appendKey(buf, name, t.origin)
	n, _ := t.tree.get(probe(key))
	if n == nil {
		return key, nil, nil
	}
	return key, n, findSet(n.OwnSets(), typ)
}

// touch notes the set of name and typ, as it is, among those the
// transaction changed (in the order first changed, which orders the
// changeset), without changing it.
func (t *Txn) touch(name string, typ uint16, old *RRset) {
	if t.untracked {
		return
	}
	k := setKey{name, typ}
	if t.changedAt != nil {
		if _, seen := t.changedAt[k]; seen {
			return
		}
		t.changedAt[k] = len(t.changed)
	} else {
		for i := range t.changed {
			if t.changed[i].key == k {
				return
			}
		}
		if len(t.changed) == changedSmall {
			t.changedAt = make(map[setKey]int, 2*changedSmall)
			for i, c := range t.changed {
				t.changedAt[c.key] = i
			}
			t.changedAt[k] = len(t.changed)
		}
	}
	t.changed = append(t.changed, changedSet{key: k, before: old})
}

// replace stores s (nil: none) as the explicit set of typ at name in place
// of old, which node n (nil: the name does not exist) at key holds.
func (t *Txn) replace(key []byte, n *Node, name string, typ uint16, old, s *RRset) {
	if n != nil {
		n = n.clone()
	} else {
		n = &Node{name: name}
	}
	t.touch(name, typ, old)
	t.records += s.setLen() - old.setLen()
	t.bytes += s.wire() - old.wire()
	n.setOwn(typ, s)
	if n.svc != nil {
		// What a service name serves is merged at commit, once its derived
		// sets follow the hosts this transaction changed: merged now, a
		// member that leaves (its record at the service deleted, its
		// address still derived) would make the service check and copy
		// every member twice.
		t.unserved = append(t.unserved, string(key))
	}
	t.put(key, n)
	if (typ == dns.TypeA || typ == dns.TypeAAAA) && parentName(name) == t.origin && name != t.origin &&
		(max(s.setLen(), old.setLen()) < indexMin || t.derives(name)) {
		t.noteHost(name)
	}
}

// derives reports whether name, directly below the apex, contributes its
// addresses to some service. A large set at a name that derives nothing (a
// service name holding explicit records, say) is not gathered for derive,
// which would copy it at every commit for nothing.
func (t *Txn) derives(name string) bool {
	return t.deriver != nil && len(t.deriver.Services(firstLabel(name))) > 0
}

// put stores n under key, creating the empty non-terminals above it. A
// node left holding nothing stays in the tree, empty, until sweep takes it
// out at commit: an UPDATE that replaces a host's address deletes the only
// set of a name and adds another, which would otherwise take the name out
// of the tree and put it back (copying its node's keys twice and its parent
// twice). An empty node answers as no node does: no sets, not in use.
func (t *Txn) put(key []byte, n *Node) {
	apex := len(key) == 0
	if n.empty() && !apex {
		if _, ok := t.tree.get(probe(key)); ok {
			t.tree.set(probe(key), n)
			t.emptied = append(t.emptied, string(key))
		}
		return
	}
	if !t.tree.set(probe(key), n) && !apex {
		t.adjustParent(n.name, key, +1)
	}
}

// serveChanged merges again the served sets of the names whose explicit
// sets changed while they had derived data (see replace). derive has
// merged those whose services it adjusted already; for them this finds the
// same sets and keeps them.
func (t *Txn) serveChanged() {
	for _, key := range t.unserved {
		if n, _ := t.tree.get(key); n != nil {
			n = n.clone()
			n.serve(n.Derived())
			t.put([]byte(key), n)
		}
	}
	t.unserved = t.unserved[:0]
}

// sweep takes out of the tree the nodes left empty, and the empty
// non-terminals above them that they leave.
func (t *Txn) sweep() {
	for len(t.emptied) > 0 {
		key := t.emptied[len(t.emptied)-1]
		t.emptied = t.emptied[:len(t.emptied)-1]
		if n, ok := t.tree.get(key); ok && n.empty() {
			t.tree.delete(key)
			t.adjustParent(n.name, []byte(key), -1) // may empty the parent: noted again
		}
	}
}

// adjustParent changes the child count of the parent of the node at key.
// A parent this transaction made itself is not visible to readers yet, so
// it is counted in place: a load of 100,000 hosts below the apex copies the
// apex node once, not once per host.
func (t *Txn) adjustParent(name string, key []byte, delta int) {
	pkey := parentKey(key)
	p, _ := t.tree.get(probe(pkey))
	if _, mine := t.made[p]; mine {
		if p.children += delta; p.children > 0 || len(pkey) == 0 {
			return
		}
	} else if p == nil {
		p = &Node{name: parentName(name), children: delta}
	} else {
		p = p.clone()
		p.children += delta
	}
	if t.made == nil {
		t.made = map[*Node]struct{}{}
	}
	t.made[p] = struct{}{}
	t.put(pkey, p)
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
	for i, c := range t.changed {
		if del, add := t.diff(i, c.before, t.ownSet(c.key.name, c.key.typ), nil, nil, true); len(del)+len(add) > 0 {
			return true
		}
	}
	return false
}

// Changeset returns the effective change so far: each changed RRset's removed
// records, then its added ones. A record whose TTL changed is removed and
// added again, so replaying Del then Add reproduces the new state exactly.
//
// An RRset that the transaction changed and then changed back to the same
// records (a delete and re-add, a re-registration) is put back as it was:
// the original set keeps its order and its rotation, and a replay of the
// (empty) change gives the same zone.
func (t *Txn) Changeset() Changeset {
	cs := Changeset{From: t.base.Serial()}
	for i, c := range t.changed { // none in an untracked transaction
		k := c.key
		before, after := c.before, t.ownSet(k.name, k.typ)
		nDel, nAdd := len(cs.Del), len(cs.Add)
		cs.Del, cs.Add = t.diff(i, before, after, cs.Del, cs.Add, false)
		if len(cs.Del) == nDel && len(cs.Add) == nAdd {
			if before != nil && after != before && !before.sameRecords(after) {
				var kbuf [256]byte
				key, n, _ := t.lookup(kbuf[:0], k.name, k.typ)
				n = n.clone()
				n.setOwn(k.typ, before)
				n.serve(n.Derived())
				t.put(key, n)
			}
			continue
		}
		// Records whose data went (not those whose TTL changed) lose their lease.
		var gone []dns.RR
		for _, rr := range cs.Del[nDel:] {
			if !after.holds(rr) {
				gone = append(gone, rr)
			}
		}
		t.dropLeases(gone, nil)
	}
	if soa := t.Own(t.origin, dns.TypeSOA); len(soa) > 0 {
		cs.To = soa[0].(*dns.SOA).Serial
	}
	cs.Leases = t.leaseChanges()
	return cs
}

// diff appends to del the records of before, the i-th changed set before
// the transaction, that after lacks, and to add those of after that before
// lacks, TTL included (nil sets hold nothing), each in its set's order;
// with first set, it stops at the first. Two sorted sets are diffed over
// what they share (diffLists); otherwise see setDiff.
func (t *Txn) diff(i int, before, after *RRset, del, add []dns.RR, first bool) ([]dns.RR, []dns.RR) {
	switch {
	case before == after:
		return del, add
	case before.sorted() && after.sorted():
		diffLists(before.ext.parts, after.ext.parts, func(rr dns.RR, inBefore bool) bool {
			if inBefore {
				del = append(del, rr)
			} else {
				add = append(add, rr)
			}
			return !first
		})
		return del, add
	}
	p, q := t.common(i, before, after)
	n := len(del)
	if del = setDiff(before, after, p, q, del, first); first && len(del) > n {
		return del, add
	}
	return del, setDiff(after, before, p, q, add, first)
}

// setDiff appends to dst the records of from that to does not hold, TTL
// included (nil sets hold nothing), in from's order; with first set, it
// stops at the first. from and to share p records at their start and then
// q at their end (see common): only the others are compared by data,
// through to's index, in O(1) each (O(log k) for a sorted set).
func setDiff(from, to *RRset, p, q int, dst []dns.RR, first bool) []dns.RR {
	if from == to || from == nil {
		return dst
	}
	if from.RRs == nil { // a sorted set beside a slice: shares nothing by identity
		from.Range(func(rr dns.RR) bool {
			if !to.holdsSame(rr) {
				dst = append(dst, rr)
				return !first
			}
			return true
		})
		return dst
	}
	for _, rr := range from.RRs[p : len(from.RRs)-q] {
		if !to.holdsSame(rr) {
			if dst = append(dst, rr); first {
				break
			}
		}
	}
	return dst
}

// span is what two sets share by identity at their start (p) and end (q).
type span struct {
	before, after *RRset
	p, q          int
}

// common returns what the sets before and after of the i-th changed set
// share at their start and end (ptrDiff), remembered while they stay the
// same: Changed and Changeset compare each set once.
func (t *Txn) common(i int, before, after *RRset) (p, q int) {
	if s := t.changed[i].shared; s.before == before && s.after == after {
		return s.p, s.q
	}
	var b, a []dns.RR
	if before != nil {
		b = before.RRs
	}
	if after != nil {
		a = after.RRs
	}
	p, q = ptrDiff(b, a)
	t.changed[i].shared = span{before, after, p, q}
	return p, q
}

// ownSet returns the explicit set of name and typ, or nil.
func (t *Txn) ownSet(name string, typ uint16) *RRset {
	if n := t.Node(name); n != nil {
		return findSet(n.OwnSets(), typ)
	}
	return nil
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

// commit derives the service names of the hosts that changed and returns the
// new version.
func (t *Txn) commit(seq uint64) *Version {
	t.derive()
	t.serveChanged()
	t.sweep()
	v := &Version{
		origin:  t.origin,
		tree:    t.tree.frozen(),
		leases:  t.leases.frozen(),
		records: t.records,
		bytes:   t.bytes,
		seq:     seq,
	}
	if apex, _ := v.tree.get(""); apex != nil {
		if s := apex.RRset(dns.TypeSOA); s != nil {
			v.soa = s.RRs[0].(*dns.SOA)
			neg := dns.Copy(v.soa).(*dns.SOA)
			neg.Hdr.Ttl = min(neg.Hdr.Ttl, neg.Minttl)
			v.negSOA = neg
		}
	}
	return v
}
