package grant

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// line is one grant or deny line.
type line struct {
	grant bool
	id    identity
	rule  rule
	name  string    // name, subdomain, wildcard: lower case, fully qualified
	types []typeCap // nil: BIND's default set (see userType)
}

// identKind says whom a line applies to.
type identKind uint8

const (
	identAny identKind = iota
	identKey
	identNet
)

type identity struct {
	kind   identKind
	key    string       // identKey: lower case, fully qualified
	prefix netip.Prefix // identNet: masked, never IPv4-mapped
}

func (id *identity) matches(q *request) bool {
	switch id.kind {
	case identAny:
		return true
	case identKey:
		return q.key != "" && q.key == id.key
	case identNet:
		return q.addr.IsValid() && id.prefix.Contains(q.addr)
	}
	return false
}

func (id *identity) String() string {
	switch id.kind {
	case identKey:
		return "key " + id.key
	case identNet:
		if id.prefix.IsSingleIP() {
			return "net " + id.prefix.Addr().String()
		}
		return "net " + id.prefix.String()
	}
	return "*"
}

// rule is a line's RULE.
type rule uint8

const (
	ruleName rule = iota
	ruleSubdomain
	ruleZonesub
	ruleWildcard
	ruleSelf
	ruleSelfsub
	ruleSelfwild
	ruleTCPSelf
	ruleOwnAddress
)

var ruleNames = [...]string{
	ruleName:       "name",
	ruleSubdomain:  "subdomain",
	ruleZonesub:    "zonesub",
	ruleWildcard:   "wildcard",
	ruleSelf:       "self",
	ruleSelfsub:    "selfsub",
	ruleSelfwild:   "selfwild",
	ruleTCPSelf:    "tcp-self",
	ruleOwnAddress: "own-address",
}

func (r rule) String() string { return ruleNames[r] }

// takesName reports whether the rule needs a NAME.
func (r rule) takesName() bool {
	return r == ruleName || r == ruleSubdomain || r == ruleWildcard
}

// takesDot reports whether the rule accepts "." as a placeholder NAME, as
// BIND's self-style rules do.
func (r rule) takesDot() bool {
	return r == ruleSelf || r == ruleSelfsub || r == ruleSelfwild || r == ruleTCPSelf
}

// typeCap is one entry of a TYPE list.
type typeCap struct {
	typ uint16 // dns.TypeANY for ANY
	max int    // 0: no cap
}

func (t typeCap) String() string {
	s := typeString(t.typ)
	if t.max > 0 {
		s += "(" + strconv.Itoa(t.max) + ")"
	}
	return s
}

// userType is BIND's default type set: every type but SOA, NS, RRSIG, NSEC
// and NSEC3.
func userType(t uint16) bool {
	switch t {
	case dns.TypeSOA, dns.TypeNS, dns.TypeRRSIG, dns.TypeNSEC, dns.TypeNSEC3:
		return false
	}
	return true
}

// covers reports whether the line's types include typ, and the cap for it:
// a type listed by name uses its own entry, otherwise ANY's (as BIND's
// dns_ssurule_max).
func (l *line) covers(typ uint16) (bool, int) {
	if l.types == nil {
		return userType(typ), 0
	}
	anyIdx := -1
	for i, t := range l.types {
		if t.typ == typ {
			return true, t.max
		}
		if t.typ == dns.TypeANY {
			anyIdx = i
		}
	}
	if anyIdx >= 0 && typ != dns.TypeNSEC && typ != dns.TypeNSEC3 {
		return true, l.types[anyIdx].max
	}
	return false, 0
}

// matchesOwner applies the line's rule to one change. owner is canonical.
func (l *line) matchesOwner(q *request, owner string, typ uint16, o op, rr dns.RR) bool {
	switch l.rule {
	case ruleName:
		return owner == l.name
	case ruleSubdomain:
		return dns.IsSubDomain(l.name, owner)
	case ruleZonesub:
		return dns.IsSubDomain(q.zone, owner)
	case ruleWildcard:
		return below(wildcardParent(l.name), owner)
	case ruleSelf:
		return q.key != "" && owner == q.key
	case ruleSelfsub:
		return q.key != "" && dns.IsSubDomain(q.key, owner)
	case ruleSelfwild:
		return q.key != "" && below(q.key, owner)
	case ruleTCPSelf:
		return q.tcp && q.reverse != "" && owner == q.reverse
	case ruleOwnAddress:
		return ownAddress(q, owner, typ, o, rr)
	}
	return false
}

// wildcardParent returns the name a wildcard name *.parent covers names
// below.
func wildcardParent(wild string) string {
	if wild == "*." {
		return "."
	}
	return wild[len("*."):]
}

// below reports whether child is strictly below parent (BIND's
// dns_name_matcheswildcard with the wildcard *.parent).
func below(parent, child string) bool {
	return dns.IsSubDomain(parent, child) && dns.CountLabel(child) > dns.CountLabel(parent)
}

// ownAddress implements own-address (see the package documentation).
func ownAddress(q *request, owner string, typ uint16, o op, rr dns.RR) bool {
	if !q.addr.IsValid() {
		return false
	}
	switch typ {
	case dns.TypePTR:
		return owner == q.reverse
	case dns.TypeA, dns.TypeAAAA:
		if !conventional(q, owner) {
			return false
		}
		if o == opDeleteRRset {
			// Either family: a host re-registering over IPv4 may
			// drop the AAAA RRset its name had.
			return addsOwnAddress(q, owner)
		}
		return isOwnAddress(q, rr)
	}
	return false
}

// conventional reports whether owner is a host name of the naming
// convention: directly below the apex, with a first label that derives at
// least one service.
func conventional(q *request, owner string) bool {
	if q.rules == nil || dns.CountLabel(owner) != dns.CountLabel(q.zone)+1 || !dns.IsSubDomain(q.zone, owner) {
		return false
	}
	end, _ := dns.NextLabel(owner, 0)
	return len(q.rules.Services(owner[:end-1])) > 0
}

// isOwnAddress reports whether rr is an A or AAAA record of the client's
// address.
func isOwnAddress(q *request, rr dns.RR) bool {
	var a netip.Addr
	switch rr := rr.(type) {
	case *dns.A:
		// The address may be held in 16-byte form.
		a, _ = netip.AddrFromSlice(rr.A)
		if a = a.Unmap(); !a.Is4() {
			return false
		}
	case *dns.AAAA:
		// An IPv4-mapped AAAA is not an IPv4 client's own address:
		// q.addr is never mapped, so it cannot equal one.
		a, _ = netip.AddrFromSlice(rr.AAAA)
		if !a.Is6() {
			return false
		}
	default:
		return false
	}
	return a == q.addr
}

// addsOwnAddress reports whether the update adds an A or AAAA record with
// the client's address at owner.
func addsOwnAddress(q *request, owner string) bool {
	for _, rr := range q.updates {
		h := rr.Header()
		if h.Class != dns.ClassINET || (h.Rrtype != dns.TypeA && h.Rrtype != dns.TypeAAAA) {
			continue
		}
		if isOwnAddress(q, rr) && canonical(h.Name) == owner {
			return true
		}
	}
	return false
}

// String renders the line in Corefile syntax.
func (l *line) String() string {
	var b strings.Builder
	if l.grant {
		b.WriteString("grant ")
	} else {
		b.WriteString("deny ")
	}
	b.WriteString(l.id.String())
	b.WriteByte(' ')
	b.WriteString(l.rule.String())
	if l.rule.takesName() {
		b.WriteByte(' ')
		b.WriteString(l.name)
	}
	for _, t := range l.types {
		b.WriteByte(' ')
		b.WriteString(t.String())
	}
	return b.String()
}
