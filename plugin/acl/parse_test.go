package acl

import (
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		tokens []string
		want   string // substring of the error
	}{
		{nil, "at least one element"},
		{[]string{}, "at least one element"},
		{[]string{"key"}, `"key": missing key name`},
		{[]string{"10.0.0.1", "key"}, `"key": missing key name`},
		{[]string{"!key"}, `"!key": missing key name`},
		{[]string{"!", "key"}, `"key": missing key name`},
		{[]string{"key", "bad..name"}, `"bad..name": not a valid key name`},
		{[]string{"10.0.0.300"}, `invalid allow-update element "10.0.0.300"`},
		{[]string{"10.0.0.0/33"}, `"10.0.0.0/33"`},
		{[]string{"10.0.0.0/"}, `"10.0.0.0/"`},
		{[]string{"2001:db8::g"}, `"2001:db8::g"`},
		{[]string{"fe80::1%eth0"}, `"fe80::1%eth0": address zones are not supported`},
		{[]string{"fe80::/10%eth0"}, `"fe80::/10%eth0"`},
		{[]string{"localhost"}, `"localhost"`},
		{[]string{"!"}, `"!": negation without an element`},
		{[]string{"any", "!"}, `"!": negation without an element`},
		{[]string{"!!10.0.0.1"}, `"!!10.0.0.1": double negation`},
		{[]string{"!", "!10.0.0.1"}, `"!10.0.0.1": double negation`},
		{[]string{"!", "!"}, `"!": double negation`},
		{[]string{"!!"}, `"!!": double negation`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.tokens, " "), func(t *testing.T) {
			var l List
			if err := l.Parse([]string{"any"}); err != nil {
				t.Fatal(err)
			}
			err := l.Parse(tc.tokens)
			if err == nil {
				t.Fatalf("Parse(%q) = nil, want error containing %q", tc.tokens, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%q) = %q, want it to contain %q", tc.tokens, err, tc.want)
			}
			// A failed line must not leave part of itself behind.
			if got := l.String(); got != "allow-update any" {
				t.Errorf("after failed Parse, list = %q", got)
			}
		})
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		lines [][]string
		want  string
	}{
		{nil, ""},
		{lines("10.0.0.1"), "allow-update 10.0.0.1"},
		{lines("10.1.2.3/8"), "allow-update 10.0.0.0/8"},
		{lines("10.0.0.1/32"), "allow-update 10.0.0.1"},
		{lines("::ffff:10.0.0.0/104"), "allow-update 10.0.0.0/8"},
		{lines("2001:DB8::/32 ::1/128"), "allow-update 2001:db8::/32 ::1"},
		{lines("ANY !any none !none"), "allow-update any !any none !none"},
		{lines("key Upd.Example"), "allow-update key upd.example."},
		{[][]string{{"!", "key", "k", "!", "10.0.0.0/8"}}, "allow-update !key k. !10.0.0.0/8"},
		{lines("!10.0.0.5", "10.0.0.0/8"), "allow-update !10.0.0.5 10.0.0.0/8"},
	}
	for _, tc := range tests {
		var l List
		for _, line := range tc.lines {
			if err := l.Parse(line); err != nil {
				t.Fatalf("Parse(%q): %v", line, err)
			}
		}
		if got := l.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

// TestStringRoundTrip checks that String's output parses back to the same list,
// so logged configuration can be pasted into a Corefile.
func TestStringRoundTrip(t *testing.T) {
	var l List
	if err := l.Parse(strings.Fields("!10.0.0.5 10.0.0.0/8 ! key a !none none !any ::1 2001:db8::/48")); err != nil {
		t.Fatal(err)
	}
	var back List
	if err := back.Parse(strings.Fields(l.String())[1:]); err != nil {
		t.Fatal(err)
	}
	if back.String() != l.String() {
		t.Errorf("round trip: %q != %q", back.String(), l.String())
	}
}
