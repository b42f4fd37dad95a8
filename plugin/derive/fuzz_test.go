package derive

import (
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// FuzzServices checks, for fuzzed derive lines and labels, that Services
// never panics and only returns distinct, valid, lower-case relative names
// that differ from the host's own label.
func FuzzServices(f *testing.F) {
	f.Add("", "cyberdyne-web-sfo-prod")
	f.Add("", "a--b")
	f.Add("", "CyberDyne-WEB-x")
	f.Add("{id}-{service}-{site}-{env} {service} {service}.{env}", "t800-web-sfo-prod")
	f.Add("{id}-web-{env} _http._tcp.{env}", "x-web-a-b")
	f.Add("{a}-{b} {a}-{b} {b}{a}", `a\.b-*`)
	f.Add("{h} {h}", "web")
	f.Add("{a}-{b} {a}{b}", strings.Repeat("x", 40)+"-"+strings.Repeat("y", 40))
	f.Fuzz(func(t *testing.T, line, label string) {
		r := Default()
		if line != "" {
			var err error
			if r, err = (*Rules)(nil).Parse(strings.Fields(line)); err != nil {
				return
			}
		}
		got := r.Services(label)
		for i, name := range got {
			if _, ok := dns.IsDomainName(name + "."); !ok {
				t.Errorf("Services(%q) with %q: invalid name %q", label, r, name)
			}
			if strings.HasSuffix(name, ".") || name != strings.ToLower(name) {
				t.Errorf("Services(%q) with %q: %q not lower-case relative", label, r, name)
			}
			if name == lower(label) {
				t.Errorf("Services(%q) with %q: returned the host itself", label, r)
			}
			if slices.Contains(got[:i], name) {
				t.Errorf("Services(%q) with %q: duplicate %q", label, r, name)
			}
		}
		if got != nil && len(got) == 0 {
			t.Errorf("Services(%q) returned empty non-nil slice", label)
		}
	})
}
