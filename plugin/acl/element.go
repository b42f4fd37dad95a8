package acl

import (
	"net/netip"
	"strings"
)

// kind says what an element compares the client against.
type kind uint8

const (
	kindAny kind = iota
	kindNone
	kindNotNone // "!none"; see matches
	kindPrefix
	kindKey
)

// element is one entry of a List.
type element struct {
	kind    kind
	negated bool
	prefix  netip.Prefix // kindPrefix: masked, never IPv4-mapped
	key     string       // kindKey: lower case, fully qualified
}

// matches reports whether e applies to the client; negation is the caller's
// business because it only changes the verdict, not whether e decides.
// addr must already be unmapped and zone-less.
func (e *element) matches(addr netip.Addr, keyName string) bool {
	switch e.kind {
	case kindAny:
		return true
	case kindNone:
		return false
	case kindNotNone:
		// "!none" is not the first-match negation of "none" (that would
		// never match, so never decide); like BIND, it means "not in the
		// empty set", i.e. everyone, and allows. The parser gives it its
		// own kind with negated unset so Allowed needs no special case.
		return true
	case kindPrefix:
		return e.prefix.Contains(addr)
	case kindKey:
		return keyName != "" && equalFQDN(e.key, keyName)
	}
	return false
}

// String renders e in Corefile syntax.
func (e *element) String() string {
	var s string
	switch e.kind {
	case kindAny:
		s = "any"
	case kindNone:
		s = "none"
	case kindNotNone:
		s = "!none"
	case kindPrefix:
		if e.prefix.IsSingleIP() {
			s = e.prefix.Addr().String()
		} else {
			s = e.prefix.String()
		}
	case kindKey:
		s = "key " + e.key
	}
	if e.negated {
		return "!" + s
	}
	return s
}

// equalFQDN compares a canonical (lower case, dot-terminated) name with a
// name in any case, with or without the final dot, without allocating.
func equalFQDN(canonical, name string) bool {
	if !strings.HasSuffix(name, ".") {
		canonical = canonical[:len(canonical)-1]
	}
	if len(canonical) != len(name) {
		return false
	}
	for i := 0; i < len(name); i++ {
		// DNS names compare case-insensitively in ASCII only (RFC 4343),
		// which is why strings.EqualFold's Unicode folding is not used.
		if lowerASCII(name[i]) != canonical[i] {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
