package grant

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dyndns/dyndns/plugin/acl"
	"github.com/miekg/dns"
)

// maxCap bounds a type's cap; an RRset can hardly be larger in a message.
const maxCap = 65535

// Parse appends one grant (allow) or deny line to p; args are the line's
// arguments after the keyword: IDENTITY RULE [NAME] [TYPE...]. Keywords and
// types are case-insensitive. Errors name the bad token. On error p is left
// unchanged.
func (p *Policy) Parse(args []string, allow bool) error {
	l, err := parseLine(args, allow)
	if err != nil {
		return err
	}
	p.lines = append(p.lines, l)
	return nil
}

func parseLine(args []string, allow bool) (line, error) {
	l := line{grant: allow}
	if len(args) == 0 {
		return l, errors.New("want IDENTITY RULE [NAME] [TYPE...]")
	}
	i, err := l.id.parse(args)
	if err != nil {
		return l, err
	}
	if i == len(args) {
		return l, fmt.Errorf("missing RULE after %q", strings.Join(args, " "))
	}
	tok := args[i]
	r, ok := parseRule(tok)
	if !ok {
		return l, invalid(tok, "not a rule; want name, subdomain, zonesub, wildcard, self, selfsub, selfwild, tcp-self or own-address")
	}
	l.rule = r
	i++

	switch {
	case r.takesName():
		if i == len(args) {
			return l, invalid(tok, "missing NAME")
		}
		name := args[i]
		var ok bool
		if l.name, ok = domainName(name); !ok {
			return l, invalid(name, "not a valid domain name")
		}
		if r == ruleWildcard && !strings.HasPrefix(l.name, "*.") {
			return l, invalid(name, "wildcard needs a wildcard NAME such as *.example.org")
		}
		i++
	case r.takesDot():
		if i < len(args) && args[i] == "." {
			i++ // BIND's placeholder NAME
		}
	}

	for ; i < len(args); i++ {
		t, err := parseType(args[i], r)
		if err != nil {
			return l, err
		}
		if t.max > 0 && !allow {
			return l, invalid(args[i], "a deny line takes no caps")
		}
		for _, prev := range l.types {
			if prev.typ == t.typ {
				return l, invalid(args[i], "type listed twice")
			}
		}
		l.types = append(l.types, t)
	}
	return l, nil
}

// parse reads IDENTITY from the start of args and returns how many tokens
// it took.
func (id *identity) parse(args []string) (int, error) {
	tok := args[0]
	switch strings.ToLower(tok) {
	case "*":
		id.kind = identAny
		return 1, nil
	case "key":
		if len(args) < 2 {
			return 0, invalid(tok, "missing key name")
		}
		name, ok := domainName(args[1])
		if !ok || name == "." {
			return 0, invalid(args[1], "not a valid key name")
		}
		id.kind = identKey
		id.key = name
		return 2, nil
	case "net":
		if len(args) < 2 {
			return 0, invalid(tok, "missing CIDR prefix")
		}
		pfx, err := acl.ParsePrefix(args[1])
		if err != nil {
			return 0, invalid(args[1], err.Error())
		}
		id.kind = identNet
		id.prefix = pfx
		return 2, nil
	}
	return 0, invalid(tok, `not an identity; want "key NAME", "net CIDR" or "*"`)
}

// domainName validates a name from the Corefile and returns it canonical.
func domainName(s string) (string, bool) {
	if _, ok := dns.IsDomainName(s); !ok {
		return "", false
	}
	return canonicalName(s)
}

func parseRule(s string) (rule, bool) {
	s = strings.ToLower(s)
	for r, name := range ruleNames {
		if s == name {
			return rule(r), true
		}
	}
	return 0, false
}

// parseType parses TYPE or TYPE(N) for a line with rule r.
func parseType(tok string, r rule) (typeCap, error) {
	var t typeCap
	name := tok
	if open := strings.IndexByte(tok, '('); open >= 0 {
		if !strings.HasSuffix(tok, ")") {
			return t, invalid(tok, "want TYPE or TYPE(N)")
		}
		name = tok[:open]
		digits := tok[open+1 : len(tok)-1]
		n, err := strconv.Atoi(digits)
		if err != nil || n < 1 || n > maxCap || strings.TrimLeft(digits, "0123456789") != "" {
			return t, invalid(tok, fmt.Sprintf("the cap must be a number from 1 to %d", maxCap))
		}
		t.max = n
	}
	typ, ok := stringToType(name)
	if !ok {
		if r.takesDot() || r == ruleZonesub || r == ruleOwnAddress {
			return t, invalid(tok, fmt.Sprintf("not a record type (%s takes no NAME%s)", r, dotHint(r)))
		}
		return t, invalid(tok, "not a record type")
	}
	if typ != dns.TypeANY && isMeta(typ) {
		return t, invalid(tok, "not a type of data")
	}
	if r == ruleOwnAddress && typ != dns.TypeA && typ != dns.TypeAAAA && typ != dns.TypePTR && typ != dns.TypeANY {
		return t, invalid(tok, "own-address covers only A, AAAA and PTR")
	}
	t.typ = typ
	return t, nil
}

func dotHint(r rule) string {
	if r.takesDot() {
		return ` but "."`
	}
	return ""
}

// stringToType accepts mnemonics in any case and RFC 3597's TYPEnnn.
func stringToType(s string) (uint16, bool) {
	s = strings.ToUpper(s)
	if t, ok := dns.StringToType[s]; ok {
		return t, true
	}
	if num, ok := strings.CutPrefix(s, "TYPE"); ok && num != "" && strings.TrimLeft(num, "0123456789") == "" {
		if n, err := strconv.ParseUint(num, 10, 16); err == nil && n != 0 {
			return uint16(n), true
		}
	}
	return 0, false
}

// isMeta reports types that are never data (RFC 2136 §3.4.1.3; ANY is the
// caller's business).
func isMeta(t uint16) bool {
	switch t {
	case dns.TypeNone, dns.TypeANY, dns.TypeAXFR, dns.TypeIXFR, dns.TypeMAILA, dns.TypeMAILB,
		dns.TypeOPT, dns.TypeTSIG, dns.TypeTKEY:
		return true
	}
	return false
}

func invalid(token, reason string) error {
	return fmt.Errorf("invalid token %q: %s", token, reason)
}
