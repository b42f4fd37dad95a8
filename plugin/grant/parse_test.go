package grant

import (
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		line string // after grant|deny
		deny bool
		want string // substring of the error
	}{
		{"", false, "want IDENTITY RULE [NAME] [TYPE...]"},
		{"key", false, `"key": missing key name`},
		{"key bad..name zonesub", false, `"bad..name": not a valid key name`},
		{"key . zonesub", false, `".": not a valid key name`},
		{"net", false, `"net": missing CIDR prefix`},
		{"net 10.0.0.0/33 zonesub", false, `"10.0.0.0/33": not a CIDR prefix`},
		{"net 10.0.0.300 zonesub", false, `"10.0.0.300": not a CIDR prefix`},
		{"net fe80::1%eth0 zonesub", false, `"fe80::1%eth0": address zones are not supported`},
		{"net example.org zonesub", false, `"example.org": not a CIDR prefix`},
		{"any zonesub", false, `"any": not an identity`},
		{"10.0.0.0/8 zonesub", false, `"10.0.0.0/8": not an identity`},
		{"*", false, `missing RULE after "*"`},
		{"key k", false, `missing RULE after "key k"`},
		{"net 10.0.0.0/8", false, `missing RULE after "net 10.0.0.0/8"`},
		{"* everything", false, `"everything": not a rule`},
		{"* krb5-self .", false, `"krb5-self": not a rule`},
		{"* name", false, `"name": missing NAME`},
		{"* subdomain", false, `"subdomain": missing NAME`},
		{"* wildcard", false, `"wildcard": missing NAME`},
		{"* name bad..name", false, `"bad..name": not a valid domain name`},
		{`* name \0\`, false, `not a valid domain name`},
		{`key \0\ zonesub`, false, `not a valid key name`},
		{"* wildcard example.org", false, `"example.org": wildcard needs a wildcard NAME`},
		{"* wildcard a.*.example.org", false, `wildcard needs a wildcard NAME`},
		{"* zonesub example.org", false, `"example.org": not a record type (zonesub takes no NAME)`},
		{"* own-address example.org", false, `"example.org": not a record type (own-address takes no NAME)`},
		{"* self example.org A", false, `"example.org": not a record type (self takes no NAME but ".")`},
		{"* tcp-self * PTR", false, `"*": not a record type (tcp-self takes no NAME but ".")`},
		{"* self . .", false, `".": not a record type`},
		{"* name a.example.org FOO", false, `"FOO": not a record type`},
		{"* zonesub AXFR", false, `"AXFR": not a type of data`},
		{"* zonesub TSIG", false, `"TSIG": not a type of data`},
		{"* zonesub OPT", false, `"OPT": not a type of data`},
		{"* zonesub TYPE0", false, `"TYPE0": not a record type`},
		{"* zonesub TYPE65536", false, `"TYPE65536": not a record type`},
		{"* zonesub TYPE", false, `"TYPE": not a record type`},
		{"* zonesub A(0)", false, `"A(0)": the cap must be a number from 1 to 65535`},
		{"* zonesub A(65536)", false, `the cap must be a number from 1 to 65535`},
		{"* zonesub A(-1)", false, `the cap must be`},
		{"* zonesub A(+1)", false, `the cap must be`},
		{"* zonesub A()", false, `the cap must be`},
		{"* zonesub A(x)", false, `the cap must be`},
		{"* zonesub A(1", false, `"A(1": want TYPE or TYPE(N)`},
		{"* zonesub A(1)x", false, `want TYPE or TYPE(N)`},
		{"* zonesub (1)", false, `"(1)": not a record type`},
		{"* zonesub A A", false, `"A": type listed twice`},
		{"* zonesub A(1) a", false, `"a": type listed twice`},
		{"* zonesub ANY ANY(2)", false, `type listed twice`},
		{"* zonesub A(1)", true, `"A(1)": a deny line takes no caps`},
		{"* own-address TXT", false, `"TXT": own-address covers only A, AAAA and PTR`},
		{"* own-address A CNAME", false, `"CNAME": own-address covers only`},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			p := policy(t, "grant * zonesub")
			before := p.String()
			err := p.Parse(strings.Fields(tc.line), !tc.deny)
			if err == nil {
				t.Fatalf("Parse(%q) = nil, want error containing %q\n%s", tc.line, tc.want, p)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%q) = %q, want it to contain %q", tc.line, err, tc.want)
			}
			if p.String() != before {
				t.Errorf("failed Parse changed the policy to %q", p)
			}
		})
	}
}

func TestParseString(t *testing.T) {
	tests := []struct {
		line string
		want string
	}{
		{"grant * zonesub", "grant * zonesub"},
		{"GRANT * ZoneSub a aaaa", "grant * zonesub A AAAA"},
		{"grant KEY Kea.Example zonesub", "grant key kea.example. zonesub"},
		{"deny net 10.1.2.3/8 subdomain Example.ORG. TXT", "deny net 10.0.0.0/8 subdomain example.org. TXT"},
		{"grant net 10.0.0.1 name a.example.org", "grant net 10.0.0.1 name a.example.org."},
		{"grant net 10.0.0.1/32 name a.example.org", "grant net 10.0.0.1 name a.example.org."},
		{"grant net ::ffff:10.0.0.0/104 zonesub", "grant net 10.0.0.0/8 zonesub"},
		{"grant net 2001:DB8::/32 zonesub", "grant net 2001:db8::/32 zonesub"},
		{"grant * self . A", "grant * self A"},
		{"grant * selfsub", "grant * selfsub"},
		{"grant * selfwild . ANY", "grant * selfwild ANY"},
		{"grant * tcp-self . PTR(1)", "grant * tcp-self PTR(1)"},
		{"grant * tcp-self ptr(1) any(2) a", "grant * tcp-self PTR(1) ANY(2) A"},
		{"grant * wildcard *.Dyn.Example.org A", "grant * wildcard *.dyn.example.org. A"},
		{"grant * own-address A(1) AAAA(1) PTR", "grant * own-address A(1) AAAA(1) PTR"},
		{"grant * zonesub TYPE16 type65280", "grant * zonesub TXT TYPE65280"},
		{"grant * zonesub A(007)", "grant * zonesub A(7)"},
		{`grant * name a\.b.example.org`, `grant * name a\.b.example.org.`},
		{`grant * name secre\116.example.org`, `grant * name secret.example.org.`},
	}
	for _, tc := range tests {
		p := policy(t, tc.line)
		if got := p.String(); got != tc.want {
			t.Errorf("%q: String() = %q, want %q", tc.line, got, tc.want)
		}
		back := policy(t, p.String())
		if back.String() != p.String() {
			t.Errorf("%q: round trip %q != %q", tc.line, back, p)
		}
	}
	p := policy(t, "deny key k name secret.example.org", "grant key k zonesub")
	if want := "deny key k. name secret.example.org.\ngrant key k. zonesub"; p.String() != want {
		t.Errorf("String() = %q, want %q", p, want)
	}
}
