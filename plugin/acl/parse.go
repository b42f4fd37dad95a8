package acl

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// Parse appends the elements in tokens (one Corefile line's arguments) to l.
// Errors name the bad token. On error l is left unchanged, so a half-parsed
// line never widens or narrows the list.
//
// Prefixes with host bits set (10.0.0.1/8) are accepted and masked, as BIND
// does. IPv4-mapped IPv6 addresses and prefixes of at least /96 are unmapped
// because clients are matched unmapped; shorter IPv6 prefixes only ever match
// IPv6 clients. Keywords are case-insensitive.
func (l *List) Parse(tokens []string) error {
	if len(tokens) == 0 {
		return errors.New("allow-update needs at least one element")
	}
	elems := make([]element, 0, len(tokens))
	for i := 0; i < len(tokens); i++ {
		tok := tokens[i]
		body, negated := strings.CutPrefix(tok, "!")
		if tok == "!" {
			i++
			if i == len(tokens) {
				return invalid(tok, "negation without an element")
			}
			tok, body = tokens[i], tokens[i]
			if strings.HasPrefix(body, "!") {
				return invalid(tok, "double negation")
			}
		} else if strings.HasPrefix(body, "!") {
			return invalid(tok, "double negation")
		}

		e := element{negated: negated}
		switch strings.ToLower(body) {
		case "any":
			e.kind = kindAny
		case "none":
			e.kind = kindNone
			if negated {
				e = element{kind: kindNotNone}
			}
		case "key":
			i++
			if i == len(tokens) {
				return invalid(tok, "missing key name")
			}
			name := tokens[i]
			if _, ok := dns.IsDomainName(name); !ok {
				return invalid(name, "not a valid key name")
			}
			e.kind = kindKey
			e.key = dns.Fqdn(lowerString(name))
		default:
			p, err := ParsePrefix(body)
			if errors.Is(err, ErrNotPrefix) {
				err = errNotElement
			}
			if err != nil {
				return invalid(tok, err.Error())
			}
			e.kind = kindPrefix
			e.prefix = p
		}
		elems = append(elems, e)
	}
	l.elems = append(l.elems, elems...)
	return nil
}

// ErrNotPrefix is ParsePrefix's error for text that is neither an address
// nor a CIDR prefix.
var ErrNotPrefix = errors.New("not a CIDR prefix")

// ParsePrefix parses an address or CIDR prefix into the masked, unmapped
// form that client addresses (unmapped, without zone) are matched against,
// here and in package grant.
func ParsePrefix(s string) (netip.Prefix, error) {
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return p, ErrNotPrefix
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return p, ErrNotPrefix
		}
		if a.Zone() != "" {
			// Clients are matched without their zone, so a zone here
			// would look like a restriction that is never enforced.
			return p, errors.New("address zones are not supported")
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	p = p.Masked()
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p, nil
}

var errNotElement = errors.New(`want an IP address, CIDR prefix, "key NAME", "any" or "none"`)

func invalid(token, reason string) error {
	return fmt.Errorf("invalid allow-update element %q: %s", token, reason)
}

// lowerString lower-cases ASCII letters only, as DNS name comparison does.
func lowerString(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = lowerASCII(c)
	}
	return string(b)
}
