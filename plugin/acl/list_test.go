package acl

import (
	"net/netip"
	"strings"
	"testing"
)

func TestAllowed(t *testing.T) {
	tests := []struct {
		name  string
		lines [][]string
		addr  string
		key   string
		want  bool
	}{
		{"zero list denies", nil, "10.0.0.1", "", false},
		{"exact v4", lines("10.0.0.1"), "10.0.0.1", "", true},
		{"exact v4 other", lines("10.0.0.1"), "10.0.0.2", "", false},
		{"prefix inside", lines("10.0.0.0/8"), "10.200.1.1", "", true},
		{"prefix outside", lines("10.0.0.0/8"), "11.0.0.1", "", false},
		{"host bits masked", lines("10.1.2.3/8"), "10.9.9.9", "", true},
		{"first match: negated first", lines("!10.0.0.5 10.0.0.0/8"), "10.0.0.5", "", false},
		{"first match: negated first, other", lines("!10.0.0.5 10.0.0.0/8"), "10.0.0.6", "", true},
		{"first match: positive first", lines("10.0.0.0/8 !10.0.0.5"), "10.0.0.5", "", true},
		{"separate bang", [][]string{{"!", "10.0.0.5", "10.0.0.0/8"}}, "10.0.0.5", "", false},
		{"any", lines("any"), "192.0.2.1", "", true},
		{"any v6", lines("any"), "2001:db8::1", "", true},
		{"!any denies", lines("!any 10.0.0.1"), "10.0.0.1", "", false},
		{"none never matches", lines("none"), "10.0.0.1", "", false},
		{"none falls through", lines("none 10.0.0.1"), "10.0.0.1", "", true},
		{"!none allows", lines("!none"), "10.0.0.1", "", true},
		{"!none allows signed", lines("!none"), "2001:db8::1", "k.", true},
		{"keyword case", lines("ANY"), "10.0.0.1", "", true},
		{"key match", lines("key upd"), "192.0.2.1", "upd.", true},
		{"key match no dot", lines("key upd"), "192.0.2.1", "upd", true},
		{"key match case", lines("key Upd.Example."), "192.0.2.1", "UPD.example", true},
		{"key other", lines("key upd"), "192.0.2.1", "other.", false},
		{"key unsigned", lines("key upd"), "192.0.2.1", "", false},
		{"key prefix of name", lines("key upd"), "192.0.2.1", "upd.example.", false},
		{"negated key denies", lines("!key bad any"), "192.0.2.1", "bad.", false},
		{"negated key other passes", lines("!key bad any"), "192.0.2.1", "good.", true},
		{"negated key unsigned passes", lines("!key bad any"), "192.0.2.1", "", true},
		{"separate bang key", [][]string{{"!", "key", "bad", "any"}}, "192.0.2.1", "bad.", false},
		{"attached bang key", [][]string{{"!key", "bad", "any"}}, "192.0.2.1", "bad.", false},
		{"key then address", lines("key upd 10.0.0.1"), "10.0.0.1", "", true},
		{"v6 exact", lines("::1"), "::1", "", true},
		{"v6 prefix", lines("2001:db8::/32"), "2001:db8:ffff::1", "", true},
		{"v6 prefix outside", lines("2001:db8::/32"), "2001:db9::1", "", false},
		{"v6 /128", lines("::1/128"), "::1", "", true},
		{"v6 does not match v4", lines("::/0"), "10.0.0.1", "", false},
		{"v4 does not match v6", lines("0.0.0.0/0"), "2001:db8::1", "", false},
		{"mapped client", lines("10.0.0.0/8"), "::ffff:10.0.0.1", "", true},
		{"mapped client negated", lines("!10.0.0.1 any"), "::ffff:10.0.0.1", "", false},
		{"mapped element", lines("::ffff:10.0.0.1"), "10.0.0.1", "", true},
		{"mapped element prefix", lines("::ffff:10.0.0.0/104"), "10.1.2.3", "", true},
		{"zoned client", lines("fe80::/10"), "fe80::1%eth0", "", true},
		{"zoned client exact", lines("!fe80::1 any"), "fe80::1%eth0", "", false},
		{"invalid client", lines("any"), "", "", true},
		{"invalid client prefix", lines("0.0.0.0/0"), "", "", false},
		{"append: earlier line wins", lines("!10.0.0.5", "10.0.0.0/8"), "10.0.0.5", "", false},
		{"append: later line reached", lines("!10.0.0.5", "10.0.0.0/8"), "10.0.0.6", "", true},
		{"append: three lines", lines("key a", "key b", "192.0.2.0/24"), "198.51.100.1", "b.", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var l List
			for _, line := range tc.lines {
				if err := l.Parse(line); err != nil {
					t.Fatalf("Parse(%q): %v", line, err)
				}
			}
			var addr netip.Addr
			if tc.addr != "" {
				addr = netip.MustParseAddr(tc.addr)
			}
			if got := l.Allowed(addr, tc.key); got != tc.want {
				t.Errorf("%s: Allowed(%s, %q) = %v, want %v", l.String(), tc.addr, tc.key, got, tc.want)
			}
		})
	}
}

func TestNilList(t *testing.T) {
	var l *List
	if l.Allowed(netip.MustParseAddr("10.0.0.1"), "") {
		t.Error("nil list allowed")
	}
	if !l.Empty() {
		t.Error("nil list not empty")
	}
	if s := l.String(); s != "" {
		t.Errorf("nil list String = %q", s)
	}
}

func TestEmpty(t *testing.T) {
	var l List
	if !l.Empty() {
		t.Fatal("zero list not empty")
	}
	if err := l.Parse([]string{"none"}); err != nil {
		t.Fatal(err)
	}
	if l.Empty() {
		t.Fatal(`list with "none" is empty`)
	}
}

// lines splits each space-separated string into one Parse call's tokens.
func lines(ls ...string) [][]string {
	out := make([][]string, len(ls))
	for i, l := range ls {
		out[i] = strings.Fields(l)
	}
	return out
}
