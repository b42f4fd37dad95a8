// Package dnsname answers questions about domain names without allocating.
package dnsname

import (
	"strings"

	"github.com/miekg/dns"
)

// Within reports whether name is origin or below it, ignoring case; both
// are fully qualified. It is dns.IsSubDomain without its two allocations
// (it splits both names into labels), which on a load or an update cost
// two garbage objects per record. A name with an escape falls back to
// dns.IsSubDomain: an escaped dot is no label boundary.
func Within(name, origin string) bool {
	if strings.IndexByte(name, '\\') >= 0 || strings.IndexByte(origin, '\\') >= 0 {
		return dns.IsSubDomain(origin, name)
	}
	if origin == "." {
		return true
	}
	n, o := len(name), len(origin)
	switch {
	case n < o:
		return false
	case n == o:
		return strings.EqualFold(name, origin)
	}
	return name[n-o-1] == '.' && strings.EqualFold(name[n-o:], origin)
}
