package dyndns

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
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
	if !cs.ChangesRecords() {
		log.Infof("update of %s from %s key %s: %d leases renewed, serial %d", origin, client, key, len(cs.Leases), cs.To)
		return
	}
	// Built by appending, not with fmt, and logged as it is: one line per
	// UPDATE is on the path of every update (formatting took a tenth of the
	// CPU of a flood, Infof's Sprintf still half of what was left).
	b := make([]byte, 0, 256)
	b = append(append(append(b, "update of "...), origin...), " from "...)
	b = append(append(append(append(b, client...), " key "...), key...), ": serial "...)
	b = append(strconv.AppendUint(append(strconv.AppendUint(b, uint64(cs.From), 10), "->"...), uint64(cs.To), 10), ':')
	suffix := "." + origin
	n := 0
	note := func(sign byte, rr dns.RR) {
		h := rr.Header()
		if h.Rrtype == dns.TypeSOA {
			return // the serial says it
		}
		if n++; n > auditRecords {
			return
		}
		b = append(append(b, ' ', sign), strings.TrimSuffix(h.Name, suffix)...)
		b = append(append(append(b, ' '), dns.TypeToString[h.Rrtype]...), ' ')
		b = appendRdata(b, rr)
	}
	for _, rr := range cs.Del {
		note('-', rr)
	}
	for _, rr := range cs.Add {
		note('+', rr)
	}
	if n > auditRecords {
		b = fmt.Appendf(b, " (and %d more)", n-auditRecords)
	}
	log.Info(string(b))
}

// appendRdata appends rr's data in presentation format. Addresses, most of
// what an audit line shows, are appended alone (net.IP.String allocates
// and was most of the cost); anything else is its text less the header.
func appendRdata(b []byte, rr dns.RR) []byte {
	var ip net.IP
	switch rr := rr.(type) {
	case *dns.A:
		ip = rr.A.To4()
	case *dns.AAAA:
		ip = rr.AAAA.To16()
	}
	if a, ok := netip.AddrFromSlice(ip); ok {
		return a.AppendTo(b)
	}
	return append(b, strings.TrimPrefix(rr.String(), rr.Header().String())...)
}
