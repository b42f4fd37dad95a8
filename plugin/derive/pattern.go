package derive

import (
	"fmt"
	"strings"
)

// pattern is the parsed PATTERN of a derive line.
type pattern struct {
	fields []field
}

// field is one dash-separated field of a pattern: a placeholder when name is
// set, otherwise literal text the label part must equal.
type field struct {
	name    string
	literal string // lower case
}

func parsePattern(s string) (pattern, error) {
	var p pattern
	for part := range strings.SplitSeq(s, "-") {
		if part == "" {
			return p, fmt.Errorf("derive pattern %q has an empty field", s)
		}
		if name, ok := placeholder(part); ok {
			if !validFieldName(name) {
				return p, fmt.Errorf("derive pattern %q: invalid field name %q (want [a-z0-9_]+)", s, name)
			}
			if p.index(name) >= 0 {
				return p, fmt.Errorf("derive pattern %q: duplicate field {%s}", s, name)
			}
			p.fields = append(p.fields, field{name: name})
			continue
		}
		// Literal text has no dashes (they split fields), so only the
		// characters hostnames use in practice are allowed; anything
		// else is more likely a typo, such as a half-written {placeholder}.
		lit := lower(part)
		for i := 0; i < len(lit); i++ {
			if c := lit[i]; !isNameByte(c) || c == '-' {
				return p, fmt.Errorf("derive pattern %q: invalid character %q in field %q", s, c, part)
			}
		}
		p.fields = append(p.fields, field{literal: lit})
	}
	return p, nil
}

// placeholder returns name when s is exactly "{name}".
func placeholder(s string) (string, bool) {
	if len(s) >= 2 && s[0] == '{' && s[len(s)-1] == '}' {
		return s[1 : len(s)-1], true
	}
	return "", false
}

func validFieldName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// index returns the position of placeholder name in p, or -1.
func (p *pattern) index(name string) int {
	for i, f := range p.fields {
		if f.name == name {
			return i
		}
	}
	return -1
}

// match splits the lower-case label into p's fields and appends each
// field's value to vals. The last field absorbs surplus parts.
func (p *pattern) match(label string, vals []string) ([]string, bool) {
	rest := label
	last := len(p.fields) - 1
	for i, f := range p.fields {
		var part string
		if i < last {
			var found bool
			part, rest, found = strings.Cut(rest, "-")
			if !found {
				return vals, false // fewer parts than fields
			}
		} else {
			part = rest
		}
		if !nonEmptyParts(part) || f.name == "" && part != f.literal {
			return vals, false
		}
		vals = append(vals, part)
	}
	return vals, true
}

// nonEmptyParts reports whether s is non-empty and none of its dash-separated
// parts is empty, i.e. it has no leading, trailing or doubled dash.
func nonEmptyParts(s string) bool {
	return s != "" && s[0] != '-' && s[len(s)-1] != '-' && !strings.Contains(s, "--")
}

// String renders p in Corefile syntax.
func (p *pattern) String() string {
	parts := make([]string, len(p.fields))
	for i, f := range p.fields {
		if f.name != "" {
			parts[i] = "{" + f.name + "}"
		} else {
			parts[i] = f.literal
		}
	}
	return strings.Join(parts, "-")
}
