package zone

import (
	"net"

	"github.com/miekg/dns"
)

// stored trims rr, which is about to be stored in a set beside like (a
// record of that set; nil: none yet), so that a large zone costs less:
//
//   - it takes like's owner name: a parsed or received record carries its
//     own copy of the name, and a service name holding 100,000 records
//     would keep 100,000 copies of it (24 bytes or more each);
//   - an IPv4 address keeps 4 bytes: net.ParseIP and miekg/dns's unpacker
//     give it 16, and stored records are never written to.
//
// Neither changes what the record says, but both write to rr: only a
// record no one else reads yet (parsed, or from an UPDATE) is trimmed.
func stored(rr, like dns.RR) {
	h := rr.Header()
	if like != nil && like.Header().Name == h.Name {
		h.Name = like.Header().Name
	}
	if a, ok := rr.(*dns.A); ok && len(a.A) == net.IPv6len {
		if v4 := a.A.To4(); v4 != nil {
			a.A = append(make(net.IP, 0, net.IPv4len), v4...)
		}
	}
}

// first returns a record of s (nil: none), for stored.
func (s *RRset) first() dns.RR {
	if s == nil {
		return nil
	}
	return s.At(0)
}
