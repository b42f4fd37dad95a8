package derive

import (
	"fmt"
	"strings"
)

// template is a parsed TEMPLATE: literal text (dots included) interleaved
// with references to pattern fields.
type template struct {
	segs []segment
}

// segment is literal text when field < 0, else the value of that field,
// which text then names for String.
type segment struct {
	text  string
	field int
}

func parseTemplate(s string, p *pattern) (template, error) {
	var t template
	bad := func(format string, args ...any) (template, error) {
		return template{}, fmt.Errorf("derive template %q: "+format, append([]any{s}, args...)...)
	}
	if strings.HasSuffix(s, ".") {
		return bad("must be relative to the zone (no trailing dot)")
	}
	for i, label := range strings.Split(s, ".") {
		if label == "" {
			return bad("empty label")
		}
		if i > 0 {
			t.segs = append(t.segs, segment{text: ".", field: -1})
		}
		fixed := 0 // octets the label has whatever the values are
		for label != "" {
			open := strings.IndexByte(label, '{')
			if open != 0 {
				n := len(label)
				if open > 0 {
					n = open
				}
				lit := lower(label[:n])
				for j := 0; j < len(lit); j++ {
					if c := lit[j]; !isNameByte(c) {
						if c == '*' {
							return bad("wildcards are not allowed")
						}
						return bad("invalid character %q", c)
					}
				}
				fixed += len(lit)
				t.segs = append(t.segs, segment{text: lit, field: -1})
				label = label[n:]
				continue
			}
			end := strings.IndexByte(label, '}')
			if end < 0 {
				return bad("unterminated placeholder %q", label)
			}
			name := label[1:end]
			if !validFieldName(name) {
				return bad("invalid placeholder {%s}", name)
			}
			idx := p.index(name)
			if idx < 0 {
				return bad("placeholder {%s} is not a field of pattern %q", name, p.String())
			}
			t.segs = append(t.segs, segment{text: name, field: idx})
			label = label[end+1:]
		}
		if fixed > maxLabel {
			return bad("label longer than %d octets", maxLabel)
		}
	}
	return t, nil
}

// expand substitutes vals (indexed like the pattern's fields) into t. It
// reports false when the result would not be a valid relative name, so the
// caller skips it rather than publishing a name clients cannot look up.
func (t *template) expand(vals []string) (string, bool) {
	if len(t.segs) == 1 && t.segs[0].field >= 0 {
		// The common {service} template: the value itself, uncopied.
		v := vals[t.segs[0].field]
		return v, nameBytes(v) && validLengths(v)
	}
	var b strings.Builder
	for _, sg := range t.segs {
		if sg.field < 0 {
			b.WriteString(sg.text)
			continue
		}
		v := vals[sg.field]
		if !nameBytes(v) {
			return "", false
		}
		b.WriteString(v)
	}
	name := b.String()
	return name, validLengths(name)
}

// String renders t in Corefile syntax.
func (t *template) String() string {
	var b strings.Builder
	for _, sg := range t.segs {
		if sg.field < 0 {
			b.WriteString(sg.text)
		} else {
			b.WriteString("{" + sg.text + "}")
		}
	}
	return b.String()
}
