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
// O(log n) per address plus the copy of the chunks of the service's list
// it changes (see chunked), whatever the size of the zone or the service. The separators never occur in keys, whose
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
		cur := &chunked{}
		prev := findSet(n.derived, typ)
		if prev != nil {
			cur = prev.parts
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
		ttl := t.lowestTTL(skey, typ)
		for i, rr := range added {
			added[i] = withTTL(rr, ttl)
		}
		slices.SortFunc(added, byAddress)
		parts := cur
		if len(gone) > 0 || len(added) > 0 {
			parts = cur.with(gone, added)
		}
		if parts.Len() == 0 {
			continue
		}
		retimed := false
		if parts.At(0).Header().Ttl != ttl { // the lowest TTL moved: every record follows
			all := parts.all()
			for i, rr := range all {
				all[i] = withTTL(rr, ttl)
			}
			parts, retimed = newChunked(all), true
		}
		if prev != nil && parts == cur {
			derived = append(derived, prev) // unchanged: keep the set and its rotation
			continue
		}
		next := &RRset{parts: parts}
		if prev != nil && !retimed {
			next.grew = &growth{from: prev, added: added}
		}
		derived = append(derived, next)
	}
	n.derived = derived
	n.serve()
	t.put(skey, n)
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
