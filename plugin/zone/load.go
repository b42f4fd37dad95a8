package zone

import (
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// Insert adds rr as a zone file load does: the owner is lower-cased, a
// duplicate is ignored, a record whose TTL differs from its set's takes the
// set's TTL (as BIND does when loading), and a CNAME beside other data or an
// SOA below the apex is an error.
func (t *Txn) Insert(rr dns.RR) error {
	h := rr.Header()
	if h.Class != dns.ClassINET {
		return fmt.Errorf("%s: class %s, only IN is served", h.Name, dns.ClassToString[h.Class])
	}
	name, err := canonical(h.Name)
	if err != nil {
		return err
	}
	h.Name = name
	if !dns.IsSubDomain(t.origin, h.Name) {
		return fmt.Errorf("%s is outside zone %s", h.Name, t.origin)
	}
	if h.Rrtype == dns.TypeSOA && h.Name != t.origin {
		return fmt.Errorf("SOA at %s is not at the apex %s", h.Name, t.origin)
	}
	if n := t.Node(h.Name); n != nil {
		others := slices.ContainsFunc(n.own, func(s *RRset) bool { return !MayCoexistWithCNAME(s.Type()) })
		if (h.Rrtype == dns.TypeCNAME && others) || (!MayCoexistWithCNAME(h.Rrtype) && n.Own(dns.TypeCNAME) != nil) {
			return fmt.Errorf("CNAME and other data at %s", h.Name)
		}
		if h.Rrtype == dns.TypeSOA && n.Own(dns.TypeSOA) != nil {
			return fmt.Errorf("second SOA at %s", h.Name)
		}
	}
	old := t.Own(h.Name, h.Rrtype)
	if containsRR(old, rr) {
		return nil
	}
	if len(old) > 0 {
		h.Ttl = old[0].Header().Ttl
	}
	t.Set(h.Name, h.Rrtype, append(old[:len(old):len(old)], rr))
	return nil
}

// canonical returns name lower-cased and escaped as a name that arrived on
// the wire would be: zone files may spell "www" as "\\119ww" or hold raw
// bytes, which must not become different names.
func canonical(name string) (string, error) {
	var buf [256]byte
	off, err := dns.PackDomainName(name, buf[:], 0, nil, false)
	if err != nil {
		return "", fmt.Errorf("bad name %q: %w", name, err)
	}
	out, _, err := dns.UnpackDomainName(buf[:off], 0)
	if err != nil {
		return "", fmt.Errorf("bad name %q: %w", name, err)
	}
	return strings.ToLower(out), nil
}

// MayCoexistWithCNAME reports whether records of type t may share a name
// with a CNAME (RFC 2181 §10.1, RFC 4035 §2.5).
func MayCoexistWithCNAME(t uint16) bool {
	switch t {
	case dns.TypeCNAME, dns.TypeRRSIG, dns.TypeNSEC, dns.TypeNSEC3, dns.TypeKEY:
		return true
	}
	return false
}

// DefaultApex returns the records a zone starts with when it has no zone
// file: an SOA and one NS, ns1 under the apex. The operator adds the name
// server's address (or provides a zone file) for a delegation to work.
func DefaultApex(origin string) []dns.RR {
	soa := &dns.SOA{
		Hdr:     dns.RR_Header{Name: origin, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 3600},
		Ns:      dns.Fqdn("ns1." + origin),
		Mbox:    dns.Fqdn("hostmaster." + origin),
		Serial:  1,
		Refresh: 3600,
		Retry:   600,
		Expire:  604800,
		Minttl:  60,
	}
	ns := &dns.NS{
		Hdr: dns.RR_Header{Name: origin, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: 3600},
		Ns:  soa.Ns,
	}
	return []dns.RR{soa, ns}
}
