package derive

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Rules is an ordered set of derivation rules. A nil *Rules derives nothing.
//
// Rules is read-only once setup has finished feeding it lines, and then safe
// for concurrent use.
type Rules struct {
	off   bool
	rules []rule
}

// rule is one derive line.
type rule struct {
	pat   pattern
	tmpls []template
}

// Default returns the seed convention: {id}-{service}-{env} → {service}.
func Default() *Rules {
	r, err := (*Rules)(nil).Parse([]string{"{id}-{service}-{env}", "{service}"})
	if err != nil {
		panic("derive: bad default rule: " + err.Error())
	}
	return r
}

// Parse parses the arguments of one derive line (PATTERN TEMPLATE... or off)
// and adds the rule to r. It returns r; Parse on a nil receiver allocates.
// On error it returns r unchanged.
//
// Start from a nil *Rules, not from Default: the default applies only when
// there is no derive line at all, and is replaced, not extended, by one.
func (r *Rules) Parse(args []string) (*Rules, error) {
	if len(args) == 0 {
		return r, errors.New("derive needs PATTERN TEMPLATE... or off")
	}
	if args[0] == "off" {
		if len(args) > 1 {
			return r, fmt.Errorf("derive off takes no arguments, got %q", args[1])
		}
		if r != nil && (r.off || len(r.rules) > 0) {
			return r, errors.New("derive off cannot be combined with other derive lines")
		}
		return &Rules{off: true}, nil
	}
	if r != nil && r.off {
		return r, errors.New("derive off cannot be combined with other derive lines")
	}

	pat, err := parsePattern(args[0])
	if err != nil {
		return r, err
	}
	if len(args) < 2 {
		return r, fmt.Errorf("derive pattern %q needs at least one template", args[0])
	}
	ru := rule{pat: pat}
	for _, s := range args[1:] {
		t, err := parseTemplate(s, &pat)
		if err != nil {
			return r, err
		}
		ru.tmpls = append(ru.tmpls, t)
	}
	if r == nil {
		r = &Rules{}
	}
	r.rules = append(r.rules, ru)
	return r, nil
}

// Off reports whether derivation was disabled with "derive off".
func (r *Rules) Off() bool {
	return r != nil && r.off
}

// Services returns the relative names (lower case, no trailing dot, e.g.
// "web" or "web.prod") that the host with first label label contributes to,
// de-duplicated, in rule order. It returns nil when no rule matches. It is
// called only on the update path (not per query), but keep it cheap.
func (r *Rules) Services(label string) []string {
	if r == nil || r.off {
		return nil
	}
	label = lower(label)
	var out []string
	var buf [8]string // field values; patterns rarely have more fields
	for i := range r.rules {
		ru := &r.rules[i]
		vals := buf[:0]
		if n := len(ru.pat.fields); n > len(buf) {
			vals = make([]string, 0, n)
		}
		vals, ok := ru.pat.match(label, vals)
		if !ok {
			continue
		}
		for j := range ru.tmpls {
			name, ok := ru.tmpls[j].expand(vals)
			// A host must not become a service of itself: its own name
			// already carries its records.
			if !ok || name == label || slices.Contains(out, name) {
				continue
			}
			out = append(out, name)
		}
	}
	return out
}

// String renders the rules in Corefile syntax, one derive line per rule.
func (r *Rules) String() string {
	if r == nil {
		return ""
	}
	if r.off {
		return "derive off"
	}
	lines := make([]string, len(r.rules))
	for i, ru := range r.rules {
		var b strings.Builder
		b.WriteString("derive ")
		b.WriteString(ru.pat.String())
		for _, t := range ru.tmpls {
			b.WriteByte(' ')
			b.WriteString(t.String())
		}
		lines[i] = b.String()
	}
	return strings.Join(lines, "\n")
}
