package main

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestReadKeyFileFromBINDTools(t *testing.T) {
	// Files that tsig-keygen and ddns-confgen (Debian bind9) wrote.
	for _, tc := range []struct {
		file string
		want tsigKey
	}{
		{"testdata/tsig-keygen-sha256.key", tsigKey{"host1.example.org.", dns.HmacSHA256, "/NVx/aKFsLKJS/okjo4nxS+VrwDrdEtOj2mWvh8+d50="}},
		{"testdata/tsig-keygen-sha512.key", tsigKey{"host2.example.org.", dns.HmacSHA512, "q/icn2pBYhtEGlC9owiseu/0eQOV37Aj+O/V3W2jA/lXSPU4WBR9yKEaQh88vYqWKNkC3gk4BV4qagKRP0cBnA=="}},
		// Comments, an update-policy statement and a bare nsupdate command
		// line around the key.
		{"testdata/ddns-confgen-sha384.conf", tsigKey{"ddns.key.", dns.HmacSHA384, "VYN8psHWY7aMeMppUZKMZQm4CalDnPYgEdtRU9CD+s7h3STm2QnUFR8YTcYulZ4V"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			k, err := readKeyFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if *k != tc.want {
				t.Errorf("got %+v, want %+v", *k, tc.want)
			}
		})
	}
}

func TestParseKeyFile(t *testing.T) {
	const secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg=="
	for _, tc := range []struct {
		name, text string
		want       tsigKey
		err        string // a substring of the error; "" for success
	}{
		{
			name: "tsig-keygen layout",
			text: "key \"ops.key\" {\n\talgorithm hmac-sha256;\n\tsecret \"" + secret + "\";\n};\n",
			want: tsigKey{"ops.key.", dns.HmacSHA256, secret},
		},
		{
			name: "one line, bare words, no final semicolons",
			text: "key ops.key { algorithm HMAC-SHA1; secret " + secret + " }",
			want: tsigKey{"ops.key.", dns.HmacSHA1, secret},
		},
		{
			name: "no algorithm: hmac-sha256",
			text: "key \"k.\" { secret \"" + secret + "\"; };",
			want: tsigKey{"k.", dns.HmacSHA256, secret},
		},
		{
			name: "fully qualified algorithm name, CRLF, clauses reordered",
			text: "key \"k\" {\r\n secret \"" + secret + "\";\r\n algorithm \"hmac-sha224.\";\r\n};\r\n",
			want: tsigKey{"k.", dns.HmacSHA224, secret},
		},
		{
			name: "comments of every kind",
			text: "# hash\n// slashes\n/* block\n key \"decoy\" { secret \"AAAA\"; }; */\nkey /* inline */ \"k\" { // trailing\n algorithm hmac-sha384; # more\n secret \"" + secret + "\"; };",
			want: tsigKey{"k.", dns.HmacSHA384, secret},
		},
		{
			name: "a secret with // in it is not a comment",
			text: "key k { secret AB//CD==; };",
			want: tsigKey{"k.", dns.HmacSHA256, "AB//CD=="},
		},
		{
			name: "other statements and unknown clauses are ignored",
			text: "options { directory \"/var/cache/bind\"; };\nkey \"k\" { algorithm hmac-sha512; foo bar; secret \"" + secret + "\"; };\nzone \"example.org\" { type primary; };",
			want: tsigKey{"k.", dns.HmacSHA512, secret},
		},
		{name: "empty", text: "", err: "no key statement"},
		{name: "only comments", text: "# nothing\n", err: "no key statement"},
		{name: "two keys", text: "key a { secret AAAA; }; key b { secret AAAA; };", err: "2 key statements (a, b)"},
		{name: "no secret", text: "key k { algorithm hmac-sha256; };", err: "has no secret"},
		{name: "secret not base64", text: "key k { secret \"not base64!\"; };", err: "line 1: secret of key \"k\" is not base64"},
		{name: "md5", text: "key k { algorithm hmac-md5; secret AAAA; };", err: "unsupported algorithm \"hmac-md5\""},
		{name: "unknown algorithm", text: "key k {\n algorithm rot13;\n secret AAAA; };", err: "line 2: unsupported algorithm"},
		{name: "two secrets", text: "key k { secret AAAA; secret BBBB; };", err: "two secret clauses"},
		{name: "key without name", text: "key { secret AAAA; };", err: "want key \"NAME\""},
		{name: "key without block", text: "key k;", err: "has no { ... } block"},
		{name: "bad key name", text: "key \"a..b\" { secret AAAA; };", err: "not a valid key name"},
		{name: "unterminated block", text: "key k { secret AAAA;\n", err: "missing '}'"},
		{name: "unterminated string", text: "key \"k { secret AAAA; };", err: "line 1: unterminated string"},
		{name: "unterminated comment", text: "key k { secret AAAA; }; /* oops\n", err: "line 1: unterminated /* comment"},
		{name: "stray brace", text: "key k { secret AAAA; }; }", err: "'}' without '{'"},
		{name: "missing semicolon between clauses", text: "key k {\n algorithm hmac-sha256\n secret AAAA; };", err: "want algorithm VALUE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := parseKeyFile(tc.text)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %+v, %v; want an error containing %q", k, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *k != tc.want {
				t.Errorf("got %+v, want %+v", *k, tc.want)
			}
		})
	}
}

func TestReadKeyFileMissing(t *testing.T) {
	_, err := readKeyFile("testdata/no-such.key")
	if err == nil || !strings.Contains(err.Error(), "no-such.key") {
		t.Errorf("got %v, want an error naming the file", err)
	}
}
