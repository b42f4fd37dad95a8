package zone

import (
	"net/netip"
	"slices"

	"github.com/miekg/dns"
)

// Derived service records are kept incrementally. The members tree maps
// (service, host) to the host's current addresses; when a host's A or AAAA
// records change, only its own services are rebuilt, each from its members.
// Rebuilding a service costs its number of hosts, never the zone's size, and
// happens inside the same commit as the host change, so readers never see a
// service lag behind its hosts.

const memberSep = 0xff // never occurs in a key: labels are presentation text

// derive rebuilds the services of every host whose addresses changed.
func (t *Txn) derive() {
	if t.deriver == nil || len(t.hosts) == 0 {
		return
	}
	changed := map[string]struct{}{}
	for host := range t.hosts {
		label := firstLabel(host)
		addrs := append(slices.Clone(t.Own(host, dns.TypeA)), t.Own(host, dns.TypeAAAA)...)
		for _, svc := range t.deriver.Services(label) {
			name := svc + "." + t.origin
			if name == host {
				continue
			}
			mkey := append(appendKey(nil, name, t.origin), memberSep)
			mkey = append(mkey, label...)
			if len(addrs) == 0 {
				t.members.Delete(mkey)
			} else {
				t.members.Insert(mkey, ownedBy(addrs, name))
			}
			changed[name] = struct{}{}
		}
	}
	for name := range changed {
		t.rebuildService(name)
	}
	clear(t.hosts)
}

// ownedBy returns copies of a host's address records owned by the service
// name, made once per host change so that rebuilding a service copies nothing.
func ownedBy(rrs []dns.RR, name string) []dns.RR {
	out := make([]dns.RR, len(rrs))
	for i, rr := range rrs {
		out[i] = dns.Copy(rr)
		out[i].Header().Name = name
	}
	return out
}

// rebuildService recomputes the derived RRsets of one service name: the
// union of its members' addresses without duplicates, with the lowest TTL of
// its members, so no answer outlives the host record it came from.
func (t *Txn) rebuildService(name string) {
	key := appendKey(nil, name, t.origin)
	n, _ := t.tree.Get(key)
	size := 0
	if n != nil {
		for _, d := range n.derived {
			size += len(d.RRs)
		}
	}
	a, aaaa := make([]dns.RR, 0, size), []dns.RR(nil)
	seen := make(map[netip.Addr]struct{}, size+1)
	t.members.Root().WalkPrefix(append(slices.Clone(key), memberSep), func(_ []byte, rrs []dns.RR) bool {
		for _, rr := range rrs {
			var ip netip.Addr
			switch rr := rr.(type) {
			case *dns.A:
				ip, _ = netip.AddrFromSlice(rr.A.To4())
				if _, dup := seen[ip]; !dup {
					a = append(a, rr)
				}
			case *dns.AAAA:
				ip, _ = netip.AddrFromSlice(rr.AAAA.To16())
				if _, dup := seen[ip]; !dup {
					aaaa = append(aaaa, rr)
				}
			}
			seen[ip] = struct{}{}
		}
		return false
	})
	var derived []*RRset
	for _, rrs := range [][]dns.RR{a, aaaa} {
		if len(rrs) == 0 {
			continue
		}
		ttl := rrs[0].Header().Ttl
		for _, rr := range rrs {
			ttl = min(ttl, rr.Header().Ttl)
		}
		for i, rr := range rrs {
			rrs[i] = withTTL(rr, ttl)
		}
		derived = withSet(derived, rrs[0].Header().Rrtype, rrs)
	}
	if n == nil {
		if len(derived) == 0 {
			return
		}
		n = &Node{name: name}
	} else {
		n = n.clone()
	}
	n.derived = derived
	n.serve()
	t.put(key, n)
}
