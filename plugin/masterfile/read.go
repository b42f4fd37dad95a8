package masterfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dyndns/dyndns/plugin/dnsname"
	"github.com/miekg/dns"
)

// Read parses the file at path with dns.NewZoneParser (origin set, $INCLUDE disabled), calling fn for each RR. Errors name the file and line (the ZoneParser's ParseError has them). It rejects records whose owner is outside origin with an error naming file and line.
//
// The line given for a record is the one it ends on (records spanning
// lines with parentheses start earlier). An error from fn is returned
// wrapped, prefixed with file and line.
func Read(path, origin string, fn func(dns.RR) error) error {
	return ReadAnnotated(path, origin, func(rr dns.RR, _ string) error { return fn(rr) })
}

// ReadAnnotated is Read that also gives each record's comment (the text
// after ";" on its line, trimmed; "" for none), as WriteAnnotated writes.
func ReadAnnotated(path, origin string, fn func(rr dns.RR, comment string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("masterfile: %w", err)
	}
	defer f.Close()
	origin = dns.Fqdn(origin)
	lc := &lineCounter{r: bufio.NewReaderSize(f, 64<<10)}
	zp := dns.NewZoneParser(lc, origin, path)
	zp.SetIncludeAllowed(false)
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		line := lc.line()
		if name := rr.Header().Name; !dnsname.Within(name, origin) {
			return fmt.Errorf("%s:%d: owner %s is outside zone %s", path, line, name, origin)
		}
		comment := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(zp.Comment()), ";"))
		if err := fn(rr, comment); err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
	}
	if err := zp.Err(); err != nil {
		return err // a *dns.ParseError, which names file and line
	}
	return nil
}

// lineCounter counts the newlines the zone parser has consumed. The parser
// reads byte by byte from an io.ByteReader without buffering ahead, and
// returns a record once it has read the newline ending it, so the count
// then is the record's last line.
type lineCounter struct {
	r    *bufio.Reader
	nl   int
	last byte
}

func (c *lineCounter) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.last = b
		if b == '\n' {
			c.nl++
		}
	}
	return b, err
}

// Read is never used by the parser (it takes the io.ByteReader path) but
// makes lineCounter an io.Reader.
func (c *lineCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for _, b := range p[:n] {
		c.last = b
		if b == '\n' {
			c.nl++
		}
	}
	return n, err
}

var _ io.ByteReader = (*lineCounter)(nil)

// line returns the line of the record just returned: the last one
// completed, or the unterminated last line of the file.
func (c *lineCounter) line() int {
	if c.last == '\n' {
		return c.nl
	}
	return c.nl + 1
}
