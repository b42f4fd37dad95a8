package grant

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// Policy is an ordered list of grant and deny lines; the zero value (no
// lines) permits everything.
//
// A Policy must not be modified by Parse while other goroutines call Permit;
// after setup it is read-only and safe for concurrent use.
type Policy struct {
	lines []line
}

// Client describes who sent an UPDATE.
type Client struct {
	Addr netip.Addr // source address; IPv4-mapped and zoned addresses are fine
	Key  string     // name of the verified TSIG key, "" when unsigned
	TCP  bool       // the UPDATE came over TCP (or another stream transport)
}

// Deriver is the host naming convention; *derive.Rules implements it.
type Deriver interface {
	// Services returns the services the host with first label label
	// contributes to; none means the label does not follow the convention.
	Services(label string) []string
}

// Zone is what Permit needs to know of the zone being updated. The update
// engine implements it over its transaction, once the update section has
// been applied to it and before the transaction is committed.
//
// Names passed in are lower case and fully qualified.
type Zone interface {
	// Types returns the types of the explicit RRsets at name as they were
	// before the update (for a delete of all RRsets at name).
	Types(name string) []uint16
	// Count returns the number of explicit records of type typ at name
	// once the update is applied (for caps such as A(1)).
	Count(name string, typ uint16) int
}

// Empty reports whether the policy has no lines (and so permits everything).
func (p *Policy) Empty() bool {
	return p == nil || len(p.lines) == 0
}

// String renders the policy in Corefile syntax, one line per grant or deny
// (for logs and tests). Its lines parse back to the same policy.
func (p *Policy) String() string {
	if p.Empty() {
		return ""
	}
	s := make([]string, len(p.lines))
	for i := range p.lines {
		s[i] = p.lines[i].String()
	}
	return strings.Join(s, "\n")
}

// Permit decides whether client c may make the changes in updates (the
// update section of an UPDATE for zone) and, when it may not, says why.
// rules is the naming convention for own-address (nil: no name follows it);
// z answers for the zone's contents and may be nil when no line has a cap
// and no record deletes a whole name: Permit refuses what it needs z for
// and cannot check.
//
// Each record is checked as the package documentation describes; records of
// a class other than IN, NONE or ANY are refused. The RFC 2136 rules about
// SOA and NS records, and the prescan, are the update engine's business.
//
// Caps need the zone as the update leaves it, so the engine calls Permit
// once the update section has been applied to its transaction, and discards
// the transaction when Permit refuses (an UPDATE is all or nothing anyway):
// Count is then the transaction's explicit RRset size and Types the types of
// the explicit RRsets in the transaction's base version.
func (p *Policy) Permit(zone string, c Client, rules Deriver, updates []dns.RR, z Zone) (ok bool, why string) {
	if p.Empty() {
		return true, ""
	}
	q := newRequest(zone, c, rules, updates)
	for _, rr := range updates {
		h := rr.Header()
		owner := canonical(h.Name)
		var refusal string
		switch h.Class {
		case dns.ClassINET:
			refusal = p.decide(q, owner, h.Rrtype, opAdd, rr, z)
		case dns.ClassNONE:
			refusal = p.decide(q, owner, h.Rrtype, opDelete, rr, z)
		case dns.ClassANY:
			if h.Rrtype != dns.TypeANY {
				refusal = p.decide(q, owner, h.Rrtype, opDeleteRRset, rr, z)
				break
			}
			if z == nil {
				refusal = "delete of all RRsets at " + owner + ": no zone to list them"
				break
			}
			for _, t := range z.Types(owner) {
				if keptByNameDelete(t, owner == q.zone) {
					continue
				}
				if refusal = p.decide(q, owner, t, opDeleteRRset, nil, z); refusal != "" {
					break
				}
			}
		default:
			refusal = fmt.Sprintf("%s at %s: class %s is not an update", typeString(h.Rrtype), owner, dns.Class(h.Class))
		}
		if refusal != "" {
			return false, refusal
		}
	}
	return true, ""
}

// keptByNameDelete reports whether a delete of all RRsets at a name is not
// checked against type t: BIND lets it take RRSIG and NSEC whatever the
// policy, and RFC 2136 §3.4.2.3 keeps the apex SOA and NS.
func keptByNameDelete(t uint16, apex bool) bool {
	switch t {
	case dns.TypeRRSIG, dns.TypeNSEC:
		return true
	case dns.TypeSOA, dns.TypeNS:
		return apex
	}
	return false
}

// decide applies the first matching line to one change and returns why it
// is refused, or "" when it is permitted.
func (p *Policy) decide(q *request, owner string, typ uint16, o op, rr dns.RR, z Zone) string {
	i, limit := p.first(q, owner, typ, o, rr)
	if i < 0 {
		return describe(o, owner, typ) + ": no grant line matches"
	}
	l := &p.lines[i]
	if !l.grant {
		return fmt.Sprintf("%s: refused by %q", describe(o, owner, typ), l.String())
	}
	if limit > 0 && o == opAdd {
		if z == nil {
			return fmt.Sprintf("%s: no zone to check the cap of %q", describe(o, owner, typ), l.String())
		}
		if n := z.Count(owner, typ); n > limit {
			return fmt.Sprintf("%s: would leave %d %s records, over the cap of %d of %q", describe(o, owner, typ), n, typeString(typ), limit, l.String())
		}
	}
	return ""
}

// first returns the index of the first line that matches the change, and
// the cap that line sets for typ (0: none); -1 when no line matches.
func (p *Policy) first(q *request, owner string, typ uint16, o op, rr dns.RR) (int, int) {
	for i := range p.lines {
		l := &p.lines[i]
		if !l.id.matches(q) {
			continue
		}
		covered, limit := l.covers(typ)
		if !covered || !l.matchesOwner(q, owner, typ, o, rr) {
			continue
		}
		return i, limit
	}
	return -1, 0
}

// op is what an update record does.
type op uint8

const (
	opAdd         op = iota // class IN: add a record
	opDelete                // class NONE: delete one record
	opDeleteRRset           // class ANY: delete an RRset
)

func describe(o op, owner string, typ uint16) string {
	switch o {
	case opAdd:
		return "add " + typeString(typ) + " at " + owner
	case opDelete:
		return "delete " + typeString(typ) + " at " + owner
	}
	return "delete " + typeString(typ) + " RRset at " + owner
}

// request is one Permit call's client, normalised.
type request struct {
	zone    string     // lower case, fully qualified
	addr    netip.Addr // unmapped, zone-less; invalid when unknown
	key     string     // lower case, fully qualified; "" when unsigned
	tcp     bool
	reverse string // the reverse name of addr; "" when addr is invalid
	rules   Deriver
	updates []dns.RR
}

func newRequest(zone string, c Client, rules Deriver, updates []dns.RR) *request {
	q := &request{
		zone:    canonical(zone),
		addr:    c.Addr.Unmap().WithZone(""),
		tcp:     c.TCP,
		rules:   rules,
		updates: updates,
	}
	if c.Key != "" {
		q.key = canonical(c.Key)
	}
	if q.addr.IsValid() {
		q.reverse, _ = dns.ReverseAddr(q.addr.String())
	}
	return q
}

// canonical returns name lower case and fully qualified, with escapes in
// the form miekg/dns gives names read from the wire, so that two spellings
// of one name compare equal.
func canonical(name string) string {
	s, _ := canonicalName(name)
	return s
}

// canonicalName is canonical that also reports whether name is valid; an
// invalid name is returned lower case and fully qualified only.
func canonicalName(name string) (string, bool) {
	name = dns.Fqdn(name)
	if strings.IndexByte(name, '\\') >= 0 {
		var buf [256]byte
		n, err := dns.PackDomainName(name, buf[:], 0, nil, false)
		if err != nil {
			return lowerASCII(name), false
		}
		s, _, err := dns.UnpackDomainName(buf[:n], 0)
		if err != nil {
			return lowerASCII(name), false
		}
		name = s
	}
	return lowerASCII(name), true
}

// lowerASCII lower-cases ASCII letters only, as DNS name comparison does
// (RFC 4343).
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func typeString(t uint16) string {
	if s, ok := dns.TypeToString[t]; ok {
		return s
	}
	return fmt.Sprintf("TYPE%d", t)
}
