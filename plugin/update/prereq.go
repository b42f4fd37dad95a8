package update

import (
	"strings"

	"github.com/dyndns/dyndns/plugin/dnsname"
	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
)

// prerequisites checks the prerequisite section against the zone as it is
// before any change (§3.2). Names are taken literally.
func prerequisites(t *zone.Txn, prereqs []dns.RR) error {
	type setKey struct {
		name string
		typ  uint16
	}
	var wanted map[setKey][]dns.RR
	var order []setKey
	for _, rr := range prereqs {
		h := rr.Header()
		name := strings.ToLower(h.Name)
		if h.Ttl != 0 {
			return fail(dns.RcodeFormatError, "prerequisite %s has TTL %d", h.Name, h.Ttl)
		}
		if !dnsname.Within(name, t.Origin()) {
			return fail(dns.RcodeNotZone, "prerequisite %s is outside zone %s", h.Name, t.Origin())
		}
		n := t.Node(name)
		switch h.Class {
		case dns.ClassANY:
			if hasRdata(rr) {
				return fail(dns.RcodeFormatError, "prerequisite %s of class ANY has RDATA", h.Name)
			}
			if h.Rrtype == dns.TypeANY {
				if !n.InUse() {
					return fail(dns.RcodeNameError, "%s is not in use", h.Name)
				}
			} else if n == nil || n.RRset(h.Rrtype) == nil {
				return fail(dns.RcodeNXRrset, "%s %s does not exist", h.Name, dns.TypeToString[h.Rrtype])
			}
		case dns.ClassNONE:
			if hasRdata(rr) {
				return fail(dns.RcodeFormatError, "prerequisite %s of class NONE has RDATA", h.Name)
			}
			if h.Rrtype == dns.TypeANY {
				if n.InUse() {
					return fail(dns.RcodeYXDomain, "%s is in use", h.Name)
				}
			} else if n != nil && n.RRset(h.Rrtype) != nil {
				return fail(dns.RcodeYXRrset, "%s %s exists", h.Name, dns.TypeToString[h.Rrtype])
			}
		case dns.ClassINET:
			if isMeta(h.Rrtype) {
				return fail(dns.RcodeFormatError, "prerequisite %s has meta type %s", h.Name, dns.TypeToString[h.Rrtype])
			}
			k := setKey{name, h.Rrtype}
			if wanted == nil {
				wanted = map[setKey][]dns.RR{}
			}
			if _, seen := wanted[k]; !seen {
				order = append(order, k)
			}
			wanted[k] = append(wanted[k], rr)
		default:
			return fail(dns.RcodeFormatError, "prerequisite class %s", dns.ClassToString[h.Class])
		}
	}
	for _, k := range order {
		var have []dns.RR
		if n := t.Node(k.name); n != nil {
			if s := n.RRset(k.typ); s != nil {
				have = s.Records()
			}
		}
		if !zone.SameData(have, wanted[k]) {
			return fail(dns.RcodeNXRrset, "%s %s differs from the prerequisite", k.name, dns.TypeToString[k.typ])
		}
	}
	return nil
}
