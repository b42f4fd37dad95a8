package update

import (
	"strings"

	"github.com/dyndns/dyndns/plugin/dnsname"
	"github.com/dyndns/dyndns/plugin/serial"
	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
)

// Options shape one Apply.
type Options struct {
	// Permit decides whether the client may make these updates (RFC 2136
	// §3.3). It sees the update section, so per-name or per-type grants can
	// join the address and key list. Nil permits nothing.
	Permit func(updates []dns.RR) bool
	// Grant, when set, decides record by record once the updates are
	// applied to the transaction (so that it can see the sizes they leave,
	// for caps), as BIND checks update-policy in its update loop; a refusal
	// drops the whole message. It returns why it refused.
	Grant func(t *zone.Txn, updates []dns.RR) (ok bool, why string)
	// MaxZoneRecords bounds the zone's explicit records; an update that would
	// grow the zone past it is REFUSED. Zero means no bound.
	MaxZoneRecords int
	// MaxZoneBytes bounds the uncompressed wire size of the zone's explicit
	// records in the same way. Zero means no bound.
	MaxZoneBytes int
	// LeaseUntil is the deadline (Unix seconds) of the records the message
	// adds, KeyLeaseUntil that of the KEY records it adds (RFC 9664). Zero
	// adds them without a lease: a record added again without one keeps
	// no lease.
	LeaseUntil, KeyLeaseUntil int64
}

// Apply checks and applies the UPDATE m, whose zone section names t's zone,
// to t. The zone section itself (§3.1) is the caller's to check.
func Apply(t *zone.Txn, m *dns.Msg, o Options) error {
	if err := prerequisites(t, m.Answer); err != nil {
		return err
	}
	if o.Permit == nil || !o.Permit(m.Ns) {
		return fail(dns.RcodeRefused, "update not permitted")
	}
	if err := prescan(t.Origin(), m.Ns); err != nil {
		return err
	}
	soaSet := false
	for _, rr := range m.Ns {
		soaSet = change(t, rr) || soaSet
	}
	if o.Grant != nil {
		if ok, why := o.Grant(t, m.Ns); !ok {
			return fail(dns.RcodeRefused, "update not permitted: %s", why)
		}
	}
	setLeases(t, m.Ns, o)
	if o.MaxZoneRecords > 0 && t.Records() > o.MaxZoneRecords && t.Records() > t.Base().Records() {
		return fail(dns.RcodeRefused, "zone would hold %d records, over max-zone-records %d", t.Records(), o.MaxZoneRecords)
	}
	if o.MaxZoneBytes > 0 && t.Bytes() > o.MaxZoneBytes && t.Bytes() > t.Base().Bytes() {
		return fail(dns.RcodeRefused, "zone would hold %d bytes, over max-zone-bytes %d", t.Bytes(), o.MaxZoneBytes)
	}
	if !soaSet && t.Changed() {
		t.BumpSerial()
	}
	return nil
}

// setLeases gives the records the message added (and still holds) their
// lease. A renewal changes leases alone: no record, no serial.
func setLeases(t *zone.Txn, updates []dns.RR, o Options) {
	for _, rr := range updates {
		if rr.Header().Class != dns.ClassINET {
			continue
		}
		until := o.LeaseUntil
		if rr.Header().Rrtype == dns.TypeKEY {
			until = o.KeyLeaseUntil
		}
		if until == 0 && t.Base().Leases() == 0 {
			continue // nothing to set, nothing to end
		}
		stored := dns.Copy(rr)
		stored.Header().Name = strings.ToLower(stored.Header().Name)
		t.SetLease(stored, until)
	}
}

// prescan checks every update record before anything changes (§3.4.1).
func prescan(origin string, updates []dns.RR) error {
	for _, rr := range updates {
		h := rr.Header()
		if !dnsname.Within(h.Name, origin) {
			return fail(dns.RcodeNotZone, "%s is outside zone %s", h.Name, origin)
		}
		switch h.Class {
		case dns.ClassINET:
			if isMeta(h.Rrtype) {
				return fail(dns.RcodeFormatError, "cannot add meta type %s", dns.TypeToString[h.Rrtype])
			}
			if !hasRdata(rr) && !emptyAllowed(rr) {
				return fail(dns.RcodeFormatError, "add of %s %s without RDATA", h.Name, dns.TypeToString[h.Rrtype])
			}
			if signerOnly(h.Rrtype) {
				return fail(dns.RcodeRefused, "%s records are made by a signer; dyndns does not sign", dns.TypeToString[h.Rrtype])
			}
		case dns.ClassANY:
			if h.Ttl != 0 || hasRdata(rr) || (isMeta(h.Rrtype) && h.Rrtype != dns.TypeANY) {
				return fail(dns.RcodeFormatError, "malformed delete of %s", h.Name)
			}
		case dns.ClassNONE:
			if h.Ttl != 0 || isMeta(h.Rrtype) {
				return fail(dns.RcodeFormatError, "malformed delete of one record at %s", h.Name)
			}
		default:
			return fail(dns.RcodeFormatError, "update class %s", dns.ClassToString[h.Class])
		}
	}
	return nil
}

// change applies one update record (§3.4.2) and reports whether it replaced the SOA.
func change(t *zone.Txn, rr dns.RR) (soaSet bool) {
	h := rr.Header()
	name, typ := strings.ToLower(h.Name), h.Rrtype
	apex := name == t.Origin()
	switch h.Class {
	case dns.ClassINET:
		return add(t, name, rr)
	case dns.ClassANY:
		if typ != dns.TypeANY {
			if !(apex && (typ == dns.TypeSOA || typ == dns.TypeNS)) {
				t.Set(name, typ, nil)
			}
			return false
		}
		n := t.Node(name)
		if n == nil {
			return false
		}
		for _, s := range n.OwnSets() {
			if !(apex && (s.Type() == dns.TypeSOA || s.Type() == dns.TypeNS)) {
				t.Set(name, s.Type(), nil)
			}
		}
	case dns.ClassNONE:
		target := dns.Copy(rr) // class NONE names the record; stored ones are IN
		target.Header().Class = dns.ClassINET
		target.Header().Name = name
		if typ == dns.TypeSOA {
			return false
		}
		if apex && typ == dns.TypeNS {
			if old := t.Own(name, typ); len(old) == 1 && dns.IsDuplicate(old[0], target) {
				return false
			}
		}
		t.DeleteRR(target) // found through the set's index, whatever its size
	}
	return false
}

// add joins rr to its RRset, following the RFC's CNAME and SOA rules.
func add(t *zone.Txn, name string, rr dns.RR) (soaSet bool) {
	typ := rr.Header().Rrtype
	stored := dns.Copy(rr)
	stored.Header().Name = name
	stored.Header().Rdlength = 0
	switch typ {
	case dns.TypeSOA:
		// Newer than the SOA as this message left it and than the zone's
		// serial before the message, so several SOAs in one message cannot
		// walk the serial backwards around the RFC 1982 circle; never 0.
		old := t.Own(name, dns.TypeSOA)
		s := rr.(*dns.SOA).Serial
		if len(old) == 0 || s == 0 || !serial.Less(old[0].(*dns.SOA).Serial, s) || !serial.Less(t.Base().Serial(), s) {
			return false
		}
		t.Set(name, typ, []dns.RR{stored})
		return true
	case dns.TypeCNAME:
		if n := t.Node(name); n != nil {
			for _, s := range n.OwnSets() {
				if !zone.MayCoexistWithCNAME(s.Type()) {
					return false
				}
			}
		}
		t.Set(name, typ, []dns.RR{stored})
		return false
	}
	if !zone.MayCoexistWithCNAME(typ) && t.Own(name, dns.TypeCNAME) != nil {
		return false
	}
	// The set keeps its order (a duplicate stays where it is) and takes the
	// new record's TTL; O(1) when the TTL is the set's, whatever its size.
	t.AddRR(stored)
	return false
}
