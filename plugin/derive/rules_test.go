package derive

import (
	"slices"
	"strings"
	"testing"
)

// parseLines feeds each space-separated line to Parse, as setup does.
func parseLines(t testing.TB, lines ...string) *Rules {
	t.Helper()
	var r *Rules
	for _, l := range lines {
		var err error
		if r, err = r.Parse(strings.Fields(l)); err != nil {
			t.Fatalf("Parse(%q): %v", l, err)
		}
	}
	return r
}

func TestServices(t *testing.T) {
	long := strings.Repeat("a", 60)
	tests := []struct {
		name  string
		lines []string // nil: Default()
		label string
		want  []string
	}{
		{"seed cyberdyne", nil, "cyberdyne-web-sfo-prod", []string{"web"}},
		{"seed techcom", nil, "techcom-web-sfo-prod", []string{"web"}},
		{"seed three parts", nil, "host-db-prod", []string{"db"}},
		{"single part", nil, "web", nil},
		{"two parts", nil, "a-b", nil},
		{"empty part", nil, "a--b", nil},
		{"empty part in absorbed tail", nil, "a-b-c--d", nil},
		{"leading dash", nil, "-a-b-c", nil},
		{"trailing dash", nil, "a-b-c-", nil},
		{"empty label", nil, "", nil},
		{"mixed case", nil, "CyberDyne-WEB-Sfo-Prod", []string{"web"}},
		{
			"four fields, two templates",
			[]string{"{id}-{service}-{site}-{env} {service} {service}.{env}"},
			"cyberdyne-web-sfo-prod", []string{"web", "web.prod"},
		},
		{
			"four fields, too few parts",
			[]string{"{id}-{service}-{site}-{env} {service}"},
			"cyberdyne-web-prod", nil,
		},
		{
			"absorbing last field",
			[]string{"{id}-{service}-{env} {service}.{env} {env}"},
			"cyberdyne-web-sfo-prod", []string{"web.sfo-prod", "sfo-prod"},
		},
		{
			"mixed template",
			[]string{"{id}-{service}-{site}-{env} {service}-{env} _http._tcp.{service} all.{site}"},
			"T800-Web-SFO-prod", []string{"web-prod", "_http._tcp.web", "all.sfo"},
		},
		{"literal field match", []string{"{id}-web-{env} www.{env}"}, "skynet-WEB-prod", []string{"www.prod"}},
		{"literal field mismatch", []string{"{id}-web-{env} www.{env}"}, "skynet-db-prod", nil},
		{"literal last field must match whole tail", []string{"{id}-prod {id}"}, "a-prod-x", nil},
		{"literal last field", []string{"{id}-prod {id}"}, "a-prod", []string{"a"}},
		{"one field matches every label", []string{"{h} all"}, "web", []string{"all"}},
		{"one field rejects empty part", []string{"{h} all"}, "a--b", nil},
		{"derived equal to label skipped", []string{"{a}-{b} {a}-{b} {b}"}, "x-y", []string{"y"}},
		{"one field self skipped", []string{"{h} {h}"}, "web", nil},
		{
			"several rules, de-duplicated, rule order",
			[]string{"{id}-{service}-{env} {service} {service}.{env}", "{id}-{service}-{site}-{env} {service}.{site} {service}"},
			"cyberdyne-web-sfo-prod", []string{"web", "web.sfo-prod", "web.sfo"},
		},
		{
			"only second rule matches",
			[]string{"{id}-api-{env} api", "{id}-{service}-{env} {service}"},
			"a-web-prod", []string{"web"},
		},
		{
			"duplicate templates in one rule",
			[]string{"{id}-{service}-{env} {service} {service}"},
			"a-web-prod", []string{"web"},
		},
		{"label too long skipped", []string{"{id}-{service}-{env} {service}-" + long + " {service}"}, "a-web-prod", []string{"web"}},
		{"expansion too long skipped", []string{"{id}-{service}-{env} {id}{service}"}, long + "-webx-prod", nil},
		{"expansion just fits", []string{"{id}-{service}-{env} {id}{service}"}, long + "-web-prod", []string{long + "web"}},
		{"escaped value skipped", nil, `a-w\.b-prod`, nil},
		{"star value skipped", []string{"{id}-{service}-{env} {id}"}, "*-web-prod", nil},
		{"unused odd value fine", nil, `a\.b-web-prod`, []string{"web"}},
		{"off derives nothing", []string{"off"}, "cyberdyne-web-sfo-prod", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Default()
			if tc.lines != nil {
				r = parseLines(t, tc.lines...)
			}
			got := r.Services(tc.label)
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s\nServices(%q) = %q, want %q", r, tc.label, got, tc.want)
			}
			if tc.want == nil && got != nil {
				t.Errorf("Services(%q) = %#v, want nil", tc.label, got)
			}
		})
	}
}

func TestNilRules(t *testing.T) {
	var r *Rules
	if got := r.Services("cyberdyne-web-sfo-prod"); got != nil {
		t.Errorf("nil Services = %q", got)
	}
	if r.Off() {
		t.Error("nil Off() = true")
	}
	if s := r.String(); s != "" {
		t.Errorf("nil String() = %q", s)
	}
}

func TestParseOff(t *testing.T) {
	r := parseLines(t, "off")
	if !r.Off() {
		t.Fatal("Off() = false after derive off")
	}
	if got := r.String(); got != "derive off" {
		t.Errorf("String() = %q", got)
	}
	if parseLines(t, "{a}-{b} {b}").Off() || Default().Off() {
		t.Error("Off() = true without derive off")
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		lines []string // all but the last must parse
		want  string   // substring of the last line's error
	}{
		{"no args", []string{""}, "needs PATTERN"},
		{"no template", []string{"{id}-{service}"}, "needs at least one template"},
		{"off with args", []string{"off {x}"}, "off takes no arguments"},
		{"off after rule", []string{"{a}-{b} {b}", "off"}, "cannot be combined"},
		{"rule after off", []string{"off", "{a}-{b} {b}"}, "cannot be combined"},
		{"off twice", []string{"off", "off"}, "cannot be combined"},
		{"placeholder not in pattern", []string{"{id}-{service}-{env} {site}"}, "placeholder {site} is not a field"},
		{"placeholder names a literal", []string{"{id}-web-{env} {web}"}, "placeholder {web} is not a field"},
		{"duplicate field", []string{"{id}-{id}-{env} {env}"}, "duplicate field {id}"},
		{"empty pattern field", []string{"{id}--{env} {env}"}, "empty field"},
		{"empty pattern", []string{"- {env}"}, "empty field"},
		{"bad field name", []string{"{Id}-{env} {env}"}, `invalid field name "Id"`},
		{"empty field name", []string{"{}-{env} {env}"}, `invalid field name ""`},
		{"half placeholder in pattern", []string{"{id-{env} {env}"}, "invalid character"},
		{"mixed pattern field", []string{"x{id}-{env} {env}"}, "invalid character"},
		{"absolute template", []string{"{id}-{service} {service}."}, "no trailing dot"},
		{"wildcard template", []string{"{id}-{service} *.{service}"}, "wildcards"},
		{"wildcard in label", []string{"{id}-{service} {service}*"}, "wildcards"},
		{"empty label", []string{"{id}-{service} {service}..x"}, "empty label"},
		{"leading dot", []string{"{id}-{service} .{service}"}, "empty label"},
		{"bare dot", []string{"{id}-{service} ."}, "no trailing dot"},
		{"unterminated placeholder", []string{"{id}-{service} {service"}, "unterminated"},
		{"stray brace", []string{"{id}-{service} {service}}"}, "invalid character"},
		{"bad placeholder", []string{"{id}-{service} {ser.vice}"}, "unterminated"},
		{"empty placeholder", []string{"{id}-{service} {}"}, "invalid placeholder {}"},
		{"bad template char", []string{"{id}-{service} {service}/x"}, "invalid character"},
		{"literal label too long", []string{"{id}-{service} " + strings.Repeat("x", 64) + "{service}"}, "longer than 63"},
		{"second template bad", []string{"{id}-{service} {service} {nope}"}, "{nope}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			last := len(tc.lines) - 1
			r := parseLines(t, tc.lines[:last]...)
			before := r.String()
			got, err := r.Parse(strings.Fields(tc.lines[last]))
			if err == nil {
				t.Fatalf("Parse(%q) = nil error, want %q", tc.lines[last], tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%q) = %q, want it to contain %q", tc.lines[last], err, tc.want)
			}
			if got != r || got.String() != before {
				t.Errorf("failed Parse changed the rules: %q -> %q", before, got.String())
			}
		})
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		lines []string
		want  string
	}{
		{nil, "derive {id}-{service}-{env} {service}"},
		{[]string{"off"}, "derive off"},
		{
			[]string{"{id}-WEB-{env} {env} _HTTP._tcp.{env}-X", "{a} b"},
			"derive {id}-web-{env} {env} _http._tcp.{env}-x\nderive {a} b",
		},
	}
	for _, tc := range tests {
		r := Default()
		if tc.lines != nil {
			r = parseLines(t, tc.lines...)
		}
		got := r.String()
		if got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
		// The rendering must parse back to itself so logs can be pasted.
		var lines []string
		for l := range strings.Lines(got) {
			lines = append(lines, strings.TrimPrefix(strings.TrimSpace(l), "derive "))
		}
		if back := parseLines(t, lines...).String(); back != got {
			t.Errorf("round trip: %q != %q", back, got)
		}
	}
}

func TestServicesAllocs(t *testing.T) {
	r := Default()
	// The common miss (a label outside the convention) must stay free.
	if n := testing.AllocsPerRun(100, func() { r.Services("gateway") }); n != 0 {
		t.Errorf("Services on a non-matching label allocates %v times", n)
	}
}

func BenchmarkServices(b *testing.B) {
	r := parseLines(b, "{id}-{service}-{site}-{env} {service} {service}.{env}")
	b.ReportAllocs()
	for b.Loop() {
		r.Services("cyberdyne-web-sfo-prod")
	}
}
