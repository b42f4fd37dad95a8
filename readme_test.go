package dyndns

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/coredns/caddy"
)

// Every dyndns block in the README's corefile examples parses: an example
// a user copies must not be a Corefile error. Only the dyndns directive is
// read (parse, not setup: nothing is opened, no etcd is dialled).
func TestReadmeExamplesParse(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)~~~ corefile\n(.*?)~~~").FindAllStringSubmatch(string(readme), -1)
	checked := 0
	for _, b := range blocks {
		text := b[1]
		i := strings.Index(text, "dyndns")
		if i < 0 {
			continue
		}
		keys := strings.Fields(strings.TrimSuffix(strings.TrimSpace(strings.SplitN(text, "\n", 2)[0]), "{"))
		// parse creates a directory: the examples' own stay untouched.
		block := regexp.MustCompile(`(?m)^(\s*directory)\s+\S+$`).ReplaceAllString(dyndnsBlock(text[i:]), "$1 "+t.TempDir())
		c := caddy.NewTestController("dns", block)
		c.ServerBlockKeys = keys
		_, err := parse(c)
		// The certificate files of an etcd-tls example are the operator's.
		if err != nil && !(strings.Contains(err.Error(), "etcd-tls") && strings.Contains(err.Error(), "no such file")) {
			t.Errorf("README example does not parse: %v\n%s", err, text)
		}
		checked++
	}
	if checked < 5 {
		t.Fatalf("only %d dyndns examples found in README.md", checked)
	}
}

// dyndnsBlock returns the dyndns directive at the start of text, with its
// block if it has one.
func dyndnsBlock(text string) string {
	line, _, _ := strings.Cut(text, "\n")
	if !strings.HasSuffix(strings.TrimSpace(line), "{") {
		return line
	}
	depth := 0
	for i, r := range text {
		switch r {
		case '{':
			depth++
		case '}':
			if depth--; depth == 0 {
				return text[:i+1]
			}
		}
	}
	return text
}
