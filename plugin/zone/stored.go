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
//     give it 16, and stored records are never written to. A load carves
//     them from shared blocks (storedIn): allocated one by one they saved
//     next to nothing (TestHeapPerHost: 381 heap bytes a host, then 380;
//     369 with the blocks), small allocations sharing 16-byte slots with
//     the load's garbage. A block lives while any of its addresses does,
//     so the blocks kept are at most a load's worth.
//
// Neither changes what the record says, but both write to rr: only a
// record no one else reads yet (parsed, or from an UPDATE) is trimmed.
func stored(rr, like dns.RR) { storedIn(rr, like, nil) }

// storedIn is stored with the 4-byte addresses carved from *block, a
// load's buffer of them (nil: allocated one by one).
func storedIn(rr, like dns.RR, block *[]byte) {
	h := rr.Header()
	if like != nil && like.Header().Name == h.Name {
		h.Name = like.Header().Name
	}
	if a, ok := rr.(*dns.A); ok && len(a.A) == net.IPv6len {
		if v4 := a.A.To4(); v4 != nil {
			if block == nil {
				a.A = append(make(net.IP, 0, net.IPv4len), v4...)
				return
			}
			if len(*block)+net.IPv4len > cap(*block) {
				*block = make([]byte, 0, 16<<10)
			}
			n := len(*block)
			*block = append(*block, v4...)
			a.A = net.IP((*block)[n : n+net.IPv4len : n+net.IPv4len])
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
