package zone

import (
	"bytes"
	"encoding/binary"
	"slices"

	iradix "github.com/hashicorp/go-immutable-radix/v2"
	"github.com/miekg/dns"
)

// Derived service records are maintained incrementally, in the same commit
// as the host change that causes them, so readers never see a service lag
// behind its hosts. Two persistent trees beside the zone's hold the state:
//
//	members: service key ‖ 0xff ‖ host label  → the host's addresses, owned by the service name
//	counts:  service key ‖ 0xfe ‖ type ‖ IP    → how many hosts have that address
//	         service key ‖ 0xfd ‖ type ‖ TTL   → how many host records have that TTL
//
// A host change adjusts the counts of its own addresses only: an address
// enters the service when its count becomes 1 and leaves at 0, and the
// service's TTL is the lowest TTL with a non-zero count. The cost is
// O(log n) per address plus one copy of the service's record pointers,
// whatever the size of the zone. The separators never occur in keys, whose
// labels are presentation text.
const (
	memberSep = 0xff
	addrSep   = 0xfe
	ttlSep    = 0xfd
)

// derive updates the services of every host whose addresses changed. The
// hosts' contributions are gathered per service first, so a service is
// adjusted once per commit however many of its hosts changed (a zone load
// adds every host in one commit).
func (t *Txn) derive() {
	if t.deriver == nil || len(t.hosts) == 0 {
		return
	}
	type contribution struct {
		skey     []byte
		old, now []dns.RR
	}
	services := map[string]*contribution{}
	for _, host := range slices.Sorted(mapKeys(t.hosts)) {
		label := firstLabel(host)
		addrs := append(slices.Clone(t.Own(host, dns.TypeA)), t.Own(host, dns.TypeAAAA)...)
		for _, svc := range t.deriver.Services(label) {
			name := svc + "." + t.origin
			if name == host {
				continue
			}
			c := services[name]
			if c == nil {
				c = &contribution{skey: appendKey(nil, name, t.origin)}
				services[name] = c
			}
			mkey := append(append(slices.Clone(c.skey), memberSep), label...)
			old, _ := t.members.Get(mkey)
			now := ownedBy(addrs, name)
			if len(now) == 0 {
				t.members.Delete(mkey)
			} else {
				t.members.Insert(mkey, now)
			}
			c.old, c.now = append(c.old, old...), append(c.now, now...)
		}
	}
	for _, name := range slices.Sorted(mapKeys(services)) {
		c := services[name]
		t.adjustService(name, c.skey, c.old, c.now)
	}
	clear(t.hosts)
}

// ownedBy returns copies of a host's address records owned by the service
// name, made once per host change.
func ownedBy(rrs []dns.RR, name string) []dns.RR {
	out := make([]dns.RR, len(rrs))
	for i, rr := range rrs {
		out[i] = dns.Copy(rr)
		out[i].Header().Name = name
	}
	return out
}

// adjustService replaces the contributions old of some hosts with now.
func (t *Txn) adjustService(name string, skey []byte, old, now []dns.RR) {
	n, _ := t.tree.Get(skey)
	if n == nil {
		n = &Node{name: name}
	} else {
		n = n.clone()
	}
	var derived []*RRset
	for _, typ := range []uint16{dns.TypeA, dns.TypeAAAA} {
		var cur []dns.RR
		if s := findSet(n.derived, typ); s != nil {
			cur = s.RRs
		}
		gone := map[string]bool{}
		var added []dns.RR
		for _, rr := range old {
			if rr.Header().Rrtype == typ {
				t.count(ttlKey(skey, rr), -1)
				if t.count(addrKey(skey, rr), -1) == 0 {
					gone[string(ipOf(rr))] = true
				}
			}
		}
		for _, rr := range now {
			if rr.Header().Rrtype == typ {
				t.count(ttlKey(skey, rr), +1)
				if t.count(addrKey(skey, rr), +1) == 1 {
					added = append(added, rr)
				}
			}
		}
		rrs := cur
		if len(gone) > 0 || len(added) > 0 {
			rrs = mergeSorted(cur, gone, added)
		}
		if len(rrs) == 0 {
			continue
		}
		retimed := false
		switch ttl := t.lowestTTL(skey, typ); {
		case rrs[0].Header().Ttl != ttl: // the lowest TTL moved: every record follows
			rrs, retimed = slices.Clone(rrs), true
			for i, rr := range rrs {
				rrs[i] = withTTL(rr, ttl)
			}
		case len(added) > 0: // rrs is a fresh slice: set the TTL of the added records
			for i, rr := range rrs {
				if rr.Header().Ttl != ttl {
					rrs[i] = withTTL(rr, ttl)
				}
			}
		}
		if s := findSet(n.derived, typ); s != nil && len(gone) == 0 && len(added) == 0 && sameSlice(s.RRs, rrs) {
			derived = append(derived, s) // unchanged: keep the set and its rotation
			continue
		}
		next := &RRset{RRs: rrs}
		if s := findSet(n.derived, typ); s != nil && !retimed {
			next.grew = &growth{from: s, added: added}
		}
		derived = append(derived, next)
	}
	n.derived = derived
	n.serve()
	t.put(skey, n)
}

// mergeSorted returns cur (sorted by address) without the addresses in gone
// and with added merged in. Sets are kept sorted by address, so a service's
// order does not depend on the order its hosts registered in (replays and
// secondaries see the same set). The changes are placed by binary search and
// the runs between them copied whole: a few changes to a large service cost
// O(log k) comparisons and one copy, not a comparison per member.
func mergeSorted(cur []dns.RR, gone map[string]bool, added []dns.RR) []dns.RR {
	slices.SortFunc(added, byAddress)
	at := func(ip []byte) int {
		i, _ := slices.BinarySearchFunc(cur, ip, func(rr dns.RR, ip []byte) int { return bytes.Compare(ipOf(rr), ip) })
		return i
	}
	var drop []int // indexes in cur of the records that go, ascending
	for ip := range gone {
		if i := at([]byte(ip)); i < len(cur) && bytes.Equal(ipOf(cur[i]), []byte(ip)) {
			drop = append(drop, i)
		}
	}
	slices.Sort(drop)
	out := make([]dns.RR, 0, len(cur)+len(added))
	from, a := 0, 0 // next record of cur to copy, next record of added
	for _, d := range append(drop, len(cur)) {
		// Copy cur[from:d], with the additions that sort into it.
		for a < len(added) {
			i := at(ipOf(added[a]))
			if i > d { // after the record dropped at d: the next run's
				break
			}
			i = max(i, from)
			out = append(append(out, cur[from:i]...), added[a])
			from, a = i, a+1
		}
		out = append(out, cur[from:d]...)
		from = d + 1
	}
	return out
}

// count adds delta to the counter at key and returns the new value; a
// counter that reaches zero is removed.
func (t *Txn) count(key []byte, delta int) int {
	c, _ := t.counts.Get(key)
	c += delta
	if c <= 0 {
		t.counts.Delete(key)
		return 0
	}
	t.counts.Insert(key, c)
	return c
}

// lowestTTL is the lowest TTL among the host records of one type of a service.
func (t *Txn) lowestTTL(skey []byte, typ uint16) uint32 {
	it := t.counts.Root().Iterator()
	prefix := append(append(slices.Clone(skey), ttlSep), byte(typ))
	it.SeekPrefix(prefix)
	k, _, ok := it.Next()
	if !ok {
		return 0
	}
	return binary.BigEndian.Uint32(k[len(prefix):])
}

func addrKey(skey []byte, rr dns.RR) []byte {
	k := append(append(slices.Clone(skey), addrSep), byte(rr.Header().Rrtype))
	return append(k, ipOf(rr)...)
}

func ttlKey(skey []byte, rr dns.RR) []byte {
	k := append(append(slices.Clone(skey), ttlSep), byte(rr.Header().Rrtype))
	return binary.BigEndian.AppendUint32(k, rr.Header().Ttl)
}

// ipOf returns the address of an A or AAAA record, 4 or 16 bytes.
func ipOf(rr dns.RR) []byte {
	switch rr := rr.(type) {
	case *dns.A:
		return rr.A.To4()
	case *dns.AAAA:
		return rr.AAAA.To16()
	}
	return nil
}

func byAddress(a, b dns.RR) int { return bytes.Compare(ipOf(a), ipOf(b)) }

func sameSlice(a, b []dns.RR) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// rederive drops every derived record and marks every host for derivation
// with the transaction's (new) deriver; commit derives them again.
func (t *Txn) rederive() {
	t.members = iradix.New[[]dns.RR]().Txn()
	t.counts = iradix.New[int]().Txn()
	t.base.tree.Root().Walk(func(key []byte, n *Node) bool {
		if len(n.derived) > 0 {
			c := n.clone()
			c.derived = nil
			c.serve()
			t.put(slices.Clone(key), c)
		}
		if n.name != t.origin && parentName(n.name) == t.origin && (n.Own(dns.TypeA) != nil || n.Own(dns.TypeAAAA) != nil) {
			t.hosts[n.name] = struct{}{}
		}
		return false
	})
	t.forced = true
}
