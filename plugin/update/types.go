package update

import "github.com/miekg/dns"

// meta types may not appear as data (RFC 2136 §3.4.1.3, and TKEY as BIND).
func isMeta(t uint16) bool {
	switch t {
	case dns.TypeANY, dns.TypeAXFR, dns.TypeIXFR, dns.TypeMAILA, dns.TypeMAILB,
		dns.TypeOPT, dns.TypeTSIG, dns.TypeTKEY:
		return true
	}
	return false
}

// signerOnly types are made by a zone signer; dyndns signs nothing.
func signerOnly(t uint16) bool {
	switch t {
	case dns.TypeRRSIG, dns.TypeNSEC, dns.TypeNSEC3, dns.TypeNSEC3PARAM, dns.TypeSIG, dns.TypeNXT:
		return true
	}
	return false
}

// hasRdata reports whether the record carried RDATA on the wire.
func hasRdata(rr dns.RR) bool { return rr.Header().Rdlength != 0 }

// emptyAllowed are the types whose RDATA may be empty.
func emptyAllowed(rr dns.RR) bool {
	if _, unknown := rr.(*dns.RFC3597); unknown {
		return true
	}
	switch rr.Header().Rrtype {
	case dns.TypeNULL, dns.TypeAPL, dns.TypeEID, dns.TypeNIMLOC:
		return true
	}
	return false
}
