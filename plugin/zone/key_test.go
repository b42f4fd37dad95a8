package zone

import (
	"bytes"
	"testing"
)

func TestAppendKey(t *testing.T) {
	tests := []struct {
		name, origin string
		want         string
	}{
		{"example.org.", "example.org.", ""},
		{"www.example.org.", "example.org.", "www\x00"},
		{"Web.PROD.example.org.", "example.org.", "prod\x00web\x00"},
		{"a\\.b.example.org.", "example.org.", "a\\.b\x00"},
		{"www.example.org.", ".", "org\x00example\x00www\x00"},
		{"1.1.37.13.in-addr.arpa.", "37.13.in-addr.arpa.", "1\x001\x00"},
	}
	for _, tc := range tests {
		if got := string(appendKey(nil, tc.name, tc.origin)); got != tc.want {
			t.Errorf("appendKey(%q, %q) = %q, want %q", tc.name, tc.origin, got, tc.want)
		}
	}
	// Canonical order: a name sorts before its children, siblings by label.
	order := []string{"example.org.", "a.example.org.", "z.a.example.org.", "a-b.example.org.", "b.example.org."}
	for i := 1; i < len(order); i++ {
		a, b := appendKey(nil, order[i-1], "example.org."), appendKey(nil, order[i], "example.org.")
		if bytes.Compare(a, b) >= 0 {
			t.Errorf("%s does not sort before %s", order[i-1], order[i])
		}
	}
}

func TestLabels(t *testing.T) {
	tests := []struct{ name, first, parent string }{
		{"www.example.org.", "www", "example.org."},
		{"org.", "org", "."},
		{"a\\.b.example.org.", "a\\.b", "example.org."},
		{".", "", "."},
	}
	for _, tc := range tests {
		if got := firstLabel(tc.name); got != tc.first {
			t.Errorf("firstLabel(%q) = %q, want %q", tc.name, got, tc.first)
		}
		if got := parentName(tc.name); got != tc.parent {
			t.Errorf("parentName(%q) = %q, want %q", tc.name, got, tc.parent)
		}
	}
}
