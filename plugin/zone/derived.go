package zone

import (
	"bytes"
	"cmp"
	"maps"
	"slices"

	"github.com/miekg/dns"
)

// Derived service records are maintained incrementally, in the same commit
// as the host change that causes them, so readers never see a service lag
// behind its hosts. A host's contribution before the change is what the
// version the transaction started from holds at the host's name; after, what
// the transaction holds. A service's set counts, per address, the hosts that
// have it (see chunked): an address enters the service when its count
// becomes 1 and leaves at 0. The service's TTL is the lowest TTL of its
// hosts' records, counted per TTL beside the set. The cost is O(log n) per
// host plus the copy of the leaf of the set it changes and of the index
// nodes above it (O(log k) of them for k members), and no state is kept
// beyond the sets themselves.

// ttlCount is how many host records of a service have one TTL.
type ttlCount struct {
	ttl uint32
	n   int32
}

// derive updates the services of every host whose addresses changed. The
// hosts' contributions are gathered per service first, so a service is
// adjusted once per commit however many of its hosts changed (a zone load
// adds every host in one commit).
func (t *Txn) derive() {
	if t.deriver == nil || len(t.hosts) == 0 {
		return
	}
	type contribution struct{ old, now []dns.RR }
	services := map[string]*contribution{}
	slices.Sort(t.hosts)
	for _, host := range slices.Compact(t.hosts) {
		var old []dns.RR
		if n := t.base.Node(host); n != nil && !t.rederiving {
			old = append(slices.Clip(n.Own(dns.TypeA)), n.Own(dns.TypeAAAA)...)
		}
		now := append(slices.Clip(t.Own(host, dns.TypeA)), t.Own(host, dns.TypeAAAA)...)
		for _, svc := range t.deriver.Services(firstLabel(host)) {
			name := svc + "." + t.origin
			if name == host {
				continue
			}
			c := services[name]
			if c == nil {
				c = &contribution{}
				services[name] = c
			}
			c.old, c.now = append(c.old, old...), append(c.now, now...)
		}
	}
	for _, name := range slices.Sorted(mapKeys(services)) {
		c := services[name]
		t.adjustService(name, c.old, c.now)
	}
	t.hosts = t.hosts[:0]
	t.rederiving = false
}

// adjustService replaces the contributions old of some hosts with now.
func (t *Txn) adjustService(name string, old, now []dns.RR) {
	skey := appendKey(nil, name, t.origin)
	n, _ := t.tree.get(probe(skey))
	if n == nil {
		n = &Node{name: name}
	} else {
		n = n.clone()
	}
	var derived []*RRset
	for _, typ := range []uint16{dns.TypeA, dns.TypeAAAA} {
		cur, ttls := &chunked{}, []ttlCount(nil)
		prev := findSet(n.Derived(), typ)
		if prev != nil {
			cur, ttls = prev.ext.parts, prev.ext.ttls
		}
		delta := map[string]int32{}
		ttlDelta := map[uint32]int32{}
		var fresh []dns.RR
		for _, rr := range old {
			if rr.Header().Rrtype == typ {
				delta[string(ipOf(rr))]--
				ttlDelta[rr.Header().Ttl]--
			}
		}
		for _, rr := range now {
			if rr.Header().Rrtype != typ {
				continue
			}
			ip := string(ipOf(rr))
			if delta[ip]++; delta[ip] == 1 && cur.Hosts([]byte(ip)) == 0 {
				fresh = append(fresh, rr)
			}
			ttlDelta[rr.Header().Ttl]++
		}
		maps.DeleteFunc(delta, func(_ string, d int32) bool { return d == 0 })
		fresh = slices.DeleteFunc(fresh, func(rr dns.RR) bool { return delta[string(ipOf(rr))] <= 0 })
		ttls = retally(ttls, ttlDelta)
		parts := cur
		if len(delta) > 0 {
			ttl := uint32(0)
			if len(ttls) > 0 {
				ttl = ttls[0].ttl
			}
			own := findSet(n.OwnSets(), typ)
			for i, rr := range fresh { // owned by the service name, made once per new address
				fresh[i] = own.sameAt(rr, ttl)
				if fresh[i] == nil {
					fresh[i] = relabeled(rr, name, ttl)
				}
			}
			slices.SortFunc(fresh, byAddress)
			parts = cur.with(delta, fresh)
		}
		if parts.Len() == 0 {
			continue
		}
		retimed := false
		if ttl := ttls[0].ttl; cur.Len() > 0 && cur.At(0).Header().Ttl != ttl { // the lowest TTL moved: every record follows
			parts, retimed = parts.retimed(ttl), true
		}
		if prev != nil && parts == cur {
			if !slices.Equal(ttls, prev.ext.ttls) { // same records, other TTL counts
				derived = append(derived, newDerived(parts, ttls, prev, nil, true))
			} else {
				derived = append(derived, prev) // unchanged: keep the set and its rotation
			}
			continue
		}
		derived = append(derived, newDerived(parts, ttls, prev, fresh, !retimed))
	}
	n.serve(derived)
	t.put(skey, n)
}

// retally returns the TTL counts with delta applied, lowest TTL first,
// without the TTLs no record has any more. The list is short (the TTLs a
// service's hosts use), so it is copied whole.
func retally(ttls []ttlCount, delta map[uint32]int32) []ttlCount {
	if len(delta) == 0 {
		return ttls
	}
	out := slices.Clone(ttls)
	for ttl, d := range delta {
		if d == 0 {
			continue
		}
		i, found := slices.BinarySearchFunc(out, ttl, func(c ttlCount, ttl uint32) int { return cmp.Compare(c.ttl, ttl) })
		if !found {
			out = slices.Insert(out, i, ttlCount{ttl: ttl})
		}
		out[i].n += d
	}
	return slices.DeleteFunc(out, func(c ttlCount) bool { return c.n <= 0 })
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
// with the transaction's (new) deriver; commit derives them again, from
// nothing.
func (t *Txn) rederive() {
	t.base.tree.walk(func(key string, n *Node) bool {
		if n.svc != nil {
			c := n.clone()
			c.serve(nil)
			t.put([]byte(key), c)
		}
		if n.name != t.origin && parentName(n.name) == t.origin && (n.Own(dns.TypeA) != nil || n.Own(dns.TypeAAAA) != nil) {
			t.noteHost(n.name)
		}
		return true
	})
	t.rederiving = true
	t.forced = true
}

// noteHost marks name, directly below the apex, for derive.
func (t *Txn) noteHost(name string) {
	t.hosts = append(t.hosts, name)
}
