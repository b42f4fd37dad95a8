package check

import (
	"net/netip"

	"github.com/miekg/dns"
)

// Set is an immutable set of addresses: the members of one service that are
// out of its rotation. A nil *Set is empty. Its methods allocate nothing and
// are safe for concurrent use.
type Set struct {
	addrs []netip.Addr // sorted, distinct, unmapped, without zones
}

// linearMax is the size up to which Has scans instead of bisecting.
const linearMax = 8

// Has reports whether a is in the set. IPv4-mapped IPv6 addresses match their
// IPv4 form.
func (s *Set) Has(a netip.Addr) bool {
	if s == nil {
		return false
	}
	a = a.Unmap()
	addrs := s.addrs
	if len(addrs) <= linearMax {
		for _, b := range addrs {
			if a == b {
				return true
			}
		}
		return false
	}
	lo, hi := 0, len(addrs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch c := addrs[m].Compare(a); {
		case c == 0:
			return true
		case c < 0:
			lo = m + 1
		default:
			hi = m
		}
	}
	return false
}

// Len is the number of addresses in the set.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.addrs)
}

// All returns a copy of the addresses in the set, sorted (for logs and tests;
// it allocates).
func (s *Set) All() []netip.Addr {
	if s == nil || len(s.addrs) == 0 {
		return nil
	}
	return append([]netip.Addr(nil), s.addrs...)
}

// Out reports whether rr is an A or AAAA record of an address in the set, so
// that a non-nil *Set can serve as the rotate.Filter of a service's answers.
// It allocates nothing.
func (s *Set) Out(rr dns.RR) bool {
	a, ok := AddrOf(rr)
	return ok && s.Has(a)
}

// AddrOf returns the address of an A or AAAA record, without allocating.
func AddrOf(rr dns.RR) (netip.Addr, bool) {
	switch rr := rr.(type) {
	case *dns.A:
		if ip4 := rr.A.To4(); ip4 != nil {
			return netip.AddrFrom4([4]byte(ip4)), true
		}
	case *dns.AAAA:
		if len(rr.AAAA) == 16 {
			return netip.AddrFrom16([16]byte(rr.AAAA)), true
		}
	}
	return netip.Addr{}, false
}

// equal reports whether the set holds exactly addrs (sorted and distinct).
func (s *Set) equal(addrs []netip.Addr) bool {
	if s.Len() != len(addrs) {
		return false
	}
	for i, a := range addrs {
		if s.addrs[i] != a {
			return false
		}
	}
	return true
}
