package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// A tsigKey is the key that signs every UPDATE.
type tsigKey struct {
	name      string // canonical (lower case, fully qualified), as the TSIG RR carries it
	algorithm string // a miekg/dns algorithm name, e.g. dns.HmacSHA256
	secret    string // base64, as miekg/dns wants it
}

// algorithms maps the names BIND key files use to miekg/dns's. hmac-md5 is
// missing on purpose: miekg/dns no longer signs with it.
var algorithms = map[string]string{
	"hmac-sha1":   dns.HmacSHA1,
	"hmac-sha224": dns.HmacSHA224,
	"hmac-sha256": dns.HmacSHA256,
	"hmac-sha384": dns.HmacSHA384,
	"hmac-sha512": dns.HmacSHA512,
}

// readKeyFile reads a BIND-style key file, as tsig-keygen and ddns-confgen
// write it and nsupdate -k reads it.
func readKeyFile(path string) (*tsigKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading TSIG key file: %w", err)
	}
	k, err := parseKeyFile(string(data))
	if err != nil {
		return nil, fmt.Errorf("TSIG key file %s: %w", path, err)
	}
	return k, nil
}

// parseKeyFile reads the one key statement of a named.conf fragment:
//
//	key "name" { algorithm hmac-sha256; secret "base64..."; };
//
// It is tolerant: #, // and /* */ comments, any layout, quoted or bare
// words, a missing ';' before '}' or at the end of the file, other statements
// around the key (ignored) and unknown clauses inside it (ignored). Without
// an algorithm clause the key is hmac-sha256 (tsig-keygen's default).
func parseKeyFile(text string) (*tsigKey, error) {
	toks, err := tokenize(text)
	if err != nil {
		return nil, err
	}
	p := &confParser{toks: toks}
	stmts, err := p.statements(false)
	if err != nil {
		return nil, err
	}
	var keys []*statement
	for _, s := range stmts {
		if strings.EqualFold(s.words[0].text, "key") {
			keys = append(keys, s)
		}
	}
	switch len(keys) {
	case 0:
		return nil, fmt.Errorf("no key statement (want: key \"NAME\" { algorithm hmac-sha256; secret \"BASE64\"; };)")
	case 1:
	default:
		var names []string
		for _, k := range keys {
			if len(k.words) > 1 {
				names = append(names, k.words[1].text)
			}
		}
		return nil, fmt.Errorf("%d key statements (%s): use a file with one key", len(keys), strings.Join(names, ", "))
	}
	return keyFromStatement(keys[0])
}

func keyFromStatement(s *statement) (*tsigKey, error) {
	line := s.words[0].line
	if len(s.words) != 2 {
		return nil, fmt.Errorf("line %d: want key \"NAME\" { ... }", line)
	}
	if s.block == nil {
		return nil, fmt.Errorf("line %d: key %q has no { ... } block", line, s.words[1].text)
	}
	name := s.words[1].text
	if _, ok := dns.IsDomainName(name); !ok || name == "" {
		return nil, fmt.Errorf("line %d: %q is not a valid key name", line, name)
	}
	k := &tsigKey{name: dns.CanonicalName(name), algorithm: dns.HmacSHA256}
	seen := map[string]bool{}
	for _, c := range s.block {
		clause := strings.ToLower(c.words[0].text)
		if clause != "algorithm" && clause != "secret" {
			continue // tolerated: not ours
		}
		if len(c.words) != 2 || c.block != nil {
			return nil, fmt.Errorf("line %d: want %s VALUE;", c.words[0].line, clause)
		}
		if seen[clause] {
			return nil, fmt.Errorf("line %d: key %q has two %s clauses", c.words[0].line, name, clause)
		}
		seen[clause] = true
		v := c.words[1].text
		switch clause {
		case "algorithm":
			a, ok := algorithms[strings.TrimSuffix(strings.ToLower(v), ".")]
			if !ok {
				known := make([]string, 0, len(algorithms))
				for n := range algorithms {
					known = append(known, n)
				}
				slices.Sort(known)
				return nil, fmt.Errorf("line %d: unsupported algorithm %q (supported: %s)", c.words[1].line, v, strings.Join(known, ", "))
			}
			k.algorithm = a
		case "secret":
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil || len(b) == 0 {
				return nil, fmt.Errorf("line %d: secret of key %q is not base64", c.words[1].line, name)
			}
			k.secret = v
		}
	}
	if k.secret == "" {
		return nil, fmt.Errorf("line %d: key %q has no secret", line, name)
	}
	return k, nil
}

// A statement is words, an optional { block }, and a ';'.
type statement struct {
	words []token
	block []*statement // nil without a block; empty block is non-nil
}

type token struct {
	text   string
	line   int
	quoted bool // a quoted string: never punctuation
}

func (t token) is(punct string) bool { return !t.quoted && t.text == punct }

type confParser struct {
	toks []token
	pos  int
}

// statements parses statements up to the end of input (top level) or up to
// and including the '}' that closes a block (inBlock).
func (p *confParser) statements(inBlock bool) ([]*statement, error) {
	stmts := []*statement{}
	for {
		if p.pos == len(p.toks) {
			if inBlock {
				return nil, fmt.Errorf("unexpected end of file: missing '}'")
			}
			return stmts, nil
		}
		t := p.toks[p.pos]
		switch {
		case t.is(";"): // empty statement
			p.pos++
			continue
		case t.is("}"):
			if !inBlock {
				return nil, fmt.Errorf("line %d: '}' without '{'", t.line)
			}
			p.pos++
			return stmts, nil
		case t.is("{"):
			return nil, fmt.Errorf("line %d: '{' without a statement name", t.line)
		}
		s := &statement{}
		for p.pos < len(p.toks) {
			t := p.toks[p.pos]
			if t.is(";") || t.is("}") || t.is("{") {
				break
			}
			s.words = append(s.words, t)
			p.pos++
		}
		if p.pos < len(p.toks) && p.toks[p.pos].is("{") {
			p.pos++
			block, err := p.statements(true)
			if err != nil {
				return nil, err
			}
			s.block = block
		}
		// The ';' ending a statement may be left out before '}' or at the end.
		if p.pos < len(p.toks) && p.toks[p.pos].is(";") {
			p.pos++
		} else if p.pos < len(p.toks) && !p.toks[p.pos].is("}") && s.block == nil {
			return nil, fmt.Errorf("line %d: unexpected %q", p.toks[p.pos].line, p.toks[p.pos].text)
		}
		stmts = append(stmts, s)
	}
}

// tokenize splits named.conf text into words, quoted strings and the
// punctuation { } ;, dropping comments.
func tokenize(text string) ([]token, error) {
	var toks []token
	line := 1
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '#' || strings.HasPrefix(text[i:], "//"):
			for i < len(text) && text[i] != '\n' {
				i++
			}
		case strings.HasPrefix(text[i:], "/*"):
			end := strings.Index(text[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("line %d: unterminated /* comment", line)
			}
			line += strings.Count(text[i:i+2+end], "\n")
			i += 2 + end + 2
		case c == '{' || c == '}' || c == ';':
			toks = append(toks, token{text: string(c), line: line})
			i++
		case c == '"':
			start := line
			var b strings.Builder
			i++
			for {
				if i == len(text) {
					return nil, fmt.Errorf("line %d: unterminated string", start)
				}
				if text[i] == '"' {
					i++
					break
				}
				if text[i] == '\\' && i+1 < len(text) {
					i++
				}
				if text[i] == '\n' {
					line++
				}
				b.WriteByte(text[i])
				i++
			}
			toks = append(toks, token{text: b.String(), line: start, quoted: true})
		default:
			j := i
			// A comment must be set off from a word: base64 secrets hold "//".
			for j < len(text) && !strings.ContainsRune(" \t\r\n{};\"#", rune(text[j])) {
				j++
			}
			toks = append(toks, token{text: text[i:j], line: line})
			i = j
		}
	}
	return toks, nil
}
