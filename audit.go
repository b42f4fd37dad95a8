package dyndns

import (
	"fmt"
	"strings"

	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
)

// auditRecords is how many records an audit line spells out; the rest are
// counted. A 1,000-record update stays one readable line.
const auditRecords = 8

// audit logs a committed UPDATE: zone, client, TSIG key, what it changed
// in short form, and the new serial. Refused updates are logged by
// serveUpdate, at a bounded rate.
func audit(origin, client, key string, cs zone.Changeset) {
	if key == "" {
		key = "-"
	}
	var b strings.Builder
	n := 0
	note := func(sign byte, rr dns.RR) {
		if rr.Header().Rrtype == dns.TypeSOA {
			return // the serial says it
		}
		if n++; n > auditRecords {
			return
		}
		h := rr.Header()
		fmt.Fprintf(&b, " %c%s %s %s", sign, strings.TrimSuffix(h.Name, "."+origin), dns.TypeToString[h.Rrtype], rdata(rr))
	}
	for _, rr := range cs.Del {
		note('-', rr)
	}
	for _, rr := range cs.Add {
		note('+', rr)
	}
	if n > auditRecords {
		fmt.Fprintf(&b, " (and %d more)", n-auditRecords)
	}
	if !cs.ChangesRecords() {
		log.Infof("update of %s from %s key %s: %d leases renewed, serial %d", origin, client, key, len(cs.Leases), cs.To)
		return
	}
	log.Infof("update of %s from %s key %s: serial %d->%d:%s", origin, client, key, cs.From, cs.To, b.String())
}

// rdata is rr's data in presentation format. Addresses, most of what an
// audit line shows, are formatted alone rather than with a header that is
// then cut off.
func rdata(rr dns.RR) string {
	switch rr := rr.(type) {
	case *dns.A:
		return rr.A.String()
	case *dns.AAAA:
		return rr.AAAA.String()
	}
	return strings.TrimPrefix(rr.String(), rr.Header().String())
}
