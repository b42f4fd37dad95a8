package zone

import (
	"strings"

	"github.com/dyndns/dyndns/plugin/dnsname"
	"github.com/dyndns/dyndns/plugin/rotate"
	"github.com/miekg/dns"
)

// maxChain bounds how many in-zone CNAMEs one answer follows (as BIND's and
// the file plugin's limit), so a CNAME loop ends.
const maxChain = 8

// Lookup answers qname/qtype (qname lower case, at or below the apex) from
// this version, as an authoritative server (RFC 1034 §4.3.2): it sets m's
// Rcode, Authoritative, Answer, Ns and Extra. Answer RRsets are ordered by
// order; stored data is never reordered or modified.
//
// Deliberate choices, as BIND's: ANY is answered with every RRset at the name
// (put the any plugin in front for RFC 8482 answers); CNAMEs are followed
// inside this zone only; a CNAME chain that runs into a delegation stops there.
func (v *Version) Lookup(m *dns.Msg, qname string, qtype uint16, order rotate.Order) {
	v.LookupShaped(m, qname, qtype, Answers{Order: order})
}

// Answers says how answers are shaped.
type Answers struct {
	Order rotate.Order
	// Max bounds the address records of a derived service in one answer
	// (0: all); the window moves on with every answer. It is a
	// deliberate cut, not truncation: TC stays clear.
	Max int
	// Health takes members out of their services' answers (nil: none).
	Health Health
}

// Health tells which members of a derived service are out of its rotation.
type Health interface {
	// Down returns the filter of the service's answers, or nil when every
	// member is in. It is called for every answer: it must not lock.
	Down(service string) rotate.Filter
}

// LookupShaped is Lookup with the address records of derived services
// bounded by a.Max and filtered by a.Health; everything else is answered as
// Lookup does. Host names and all other data are never filtered.
func (v *Version) LookupShaped(m *dns.Msg, qname string, qtype uint16, a Answers) {
	order := a.Order
	m.Authoritative = true
	if v.soa == nil {
		m.Rcode = dns.RcodeServerFailure
		return
	}
	var buf, wbuf [256]byte
	for hop := 0; ; hop++ {
		key := appendKey(buf[:0], qname, v.origin)
		f := v.find(key, qtype == dns.TypeDS)
		if f.cut != nil {
			if hop == 0 {
				v.referral(m, f.cut)
			}
			return
		}
		node, owner := f.node, ""
		if node == nil {
			wkey := append(append(wbuf[:0], key[:f.enclosure]...), '*', 0)
			node, _ = v.tree.get(probe(wkey))
			if node == nil {
				m.Rcode = dns.RcodeNameError
				m.Ns = append(m.Ns, v.negSOA)
				return
			}
			owner = qname // RFC 4592: synthesise from the source of synthesis
		}
		if cname := node.RRset(dns.TypeCNAME); cname != nil && qtype != dns.TypeCNAME && qtype != dns.TypeANY {
			m.Answer = appendSet(m.Answer, cname, order, owner)
			target := strings.ToLower(cname.RRs[0].(*dns.CNAME).Target)
			if hop+1 >= maxChain || !dnsname.Within(target, v.origin) {
				return
			}
			qname = target
			continue
		}
		if sets := node.Sets(); qtype == dns.TypeANY && len(sets) > 0 {
			for _, s := range sets {
				m.Answer = appendSet(m.Answer, s, order, owner)
			}
			return
		}
		if s := node.RRset(qtype); s != nil {
			if len(node.Derived()) > 0 && (qtype == dns.TypeA || qtype == dns.TypeAAAA) && (a.Max > 0 || a.Health != nil) {
				var f rotate.Filter
				if a.Health != nil {
					f = a.Health.Down(node.name)
				}
				m.Answer = order.AppendWindow(m.Answer, s, &s.Next, a.Max, f)
				return
			}
			m.Answer = appendSet(m.Answer, s, order, owner)
			return
		}
		m.Ns = append(m.Ns, v.negSOA) // NODATA, empty non-terminals included
		return
	}
}

// found is what one walk down the tree towards a name learns.
type found struct {
	node      *Node // the name itself, nil when it does not exist
	cut       *Node // the highest delegation (non-apex NS) at or above it
	enclosure int   // key length of the closest existing ancestor (the closest encloser)
}

// find walks from the apex towards key, one label at a time. A delegation at
// the name itself does not count when ds is set: DS at a cut is the parent's
// data (RFC 4035 §3.1.4.1).
func (v *Version) find(key []byte, ds bool) found {
	var f found
	for i := 0; i < len(key); i++ {
		if key[i] != 0 {
			continue
		}
		n, ok := v.tree.get(probe(key[:i+1]))
		if !ok {
			return f
		}
		last := i+1 == len(key)
		if n.RRset(dns.TypeNS) != nil && !(last && ds) {
			f.cut = n
			return f
		}
		f.enclosure = i + 1
		if last {
			f.node = n
		}
	}
	if len(key) == 0 {
		f.node, _ = v.tree.get("")
	}
	return f
}

// referral answers with the delegation's NS RRset and the glue addresses
// this zone holds for its targets, without AA (RFC 1034 §4.3.2 step 3b).
func (v *Version) referral(m *dns.Msg, cut *Node) {
	m.Authoritative = false
	ns := cut.RRset(dns.TypeNS)
	m.Ns = append(m.Ns, ns.RRs...)
	for _, rr := range ns.RRs {
		target := strings.ToLower(rr.(*dns.NS).Ns)
		if !dnsname.Within(target, v.origin) {
			continue
		}
		if n := v.Node(target); n != nil {
			for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
				if s := n.RRset(t); s != nil {
					m.Extra = rotate.Fixed.Append(m.Extra, s, nil)
				}
			}
		}
	}
}

// appendSet appends s to dst in the given order; with an owner (wildcard
// synthesis), the appended records are copies carrying that owner name.
func appendSet(dst []dns.RR, s *RRset, order rotate.Order, owner string) []dns.RR {
	start := len(dst)
	dst = order.Append(dst, s, &s.Next)
	if owner != "" {
		for i := start; i < len(dst); i++ {
			c := dns.Copy(dst[i])
			c.Header().Name = owner
			dst[i] = c
		}
	}
	return dst
}
