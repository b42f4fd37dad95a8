package acl

import (
	"net/netip"
	"strings"
)

// List is an ordered address-match list; the zero value matches nothing (deny by default).
//
// A List must not be modified by Parse while other goroutines call Allowed;
// after setup it is read-only and safe for concurrent use.
type List struct {
	elems []element
}

// Allowed reports whether a client at addr, optionally authenticated with
// TSIG key keyName ("" when unsigned; already validated), may update. The
// first element that matches decides: a matching positive element allows, a
// matching negated element denies; no match denies.
//
// keyName is compared case-insensitively and with or without a trailing dot.
// Allowed does not allocate.
func (l *List) Allowed(addr netip.Addr, keyName string) bool {
	if l == nil {
		return false
	}
	// Dual-stack sockets report IPv4 clients as ::ffff:a.b.c.d, and a
	// link-local source carries the interface zone; neither must make a
	// client slip past an IPv4 or zone-less prefix.
	addr = addr.Unmap().WithZone("")
	for i := range l.elems {
		e := &l.elems[i]
		if e.matches(addr, keyName) {
			return !e.negated
		}
	}
	return false
}

// Empty reports whether the list has no elements.
func (l *List) Empty() bool {
	return l == nil || len(l.elems) == 0
}

// String renders the list in Corefile syntax (for logs and tests).
func (l *List) String() string {
	if l.Empty() {
		return ""
	}
	var b strings.Builder
	b.WriteString("allow-update")
	for i := range l.elems {
		b.WriteByte(' ')
		b.WriteString(l.elems[i].String())
	}
	return b.String()
}
