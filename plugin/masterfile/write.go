package masterfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/dyndns/dyndns/plugin/dnsname"
	"github.com/dyndns/dyndns/plugin/journal"
	"github.com/miekg/dns"
)

// Write writes the records produced by walk as an RFC 1035 master file at path, atomically: temp file in the same directory, write with a header comment ($ORIGIN and a "written by dyndns at serial N" comment), fsync, rename over path, fsync the directory. walk calls emit for each RR in order (SOA first).
//
// The first RR must be the SOA of origin with serial serial, and every
// owner must be inside origin, so that Write never produces a file that
// Read rejects. Owners are written relative to origin ("@" for the apex);
// record data is written as dns.RR.String prints it. fsys nil means
// journal.OS. The temp file is path+".tmp"; callers must not run two
// Writes to one path at once.
//
// If Write returns an error the previous file at path is untouched, except
// when only the final directory fsync failed: then the new file is in place
// but may not survive a crash, so the caller must not rely on it (for
// example, must not compact the journal against it).
func Write(path, origin string, serial uint32, walk func(emit func(dns.RR) error) error, fsys journal.FS) error {
	return WriteAnnotated(path, origin, serial, walk, nil, fsys)
}

// WriteAnnotated is Write with a comment after each record: comment (nil
// for none) returns the text for a record, without the ";", or "" for no
// comment. ReadAnnotated gives the comments back.
func WriteAnnotated(path, origin string, serial uint32, walk func(emit func(dns.RR) error) error, comment func(dns.RR) string, fsys journal.FS) error {
	if fsys == nil {
		fsys = journal.OS{}
	}
	origin = dns.Fqdn(origin)
	if _, ok := dns.IsDomainName(origin); !ok {
		return fmt.Errorf("masterfile %s: bad origin %q", path, origin)
	}
	tmp := path + ".tmp"
	f, err := fsys.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("masterfile %s: %w", path, err)
	}
	closed := false
	fail := func(err error) error {
		if !closed {
			f.Close()
		}
		if rerr := fsys.Remove(tmp); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = fmt.Errorf("%w (and removing %s: %v)", err, tmp, rerr)
		}
		return fmt.Errorf("masterfile %s: %w", path, err)
	}

	bw := bufio.NewWriterSize(io.NewOffsetWriter(f, 0), 64<<10)
	fmt.Fprintf(bw, "; written by dyndns at serial %d\n$ORIGIN %s\n", serial, origin)
	ew := &emitter{w: bw, origin: origin, serial: serial, comment: comment}
	if err := walk(ew.emit); err != nil {
		return fail(err)
	}
	if ew.n == 0 {
		return fail(errors.New("no records: a zone needs at least its SOA"))
	}
	if err := bw.Flush(); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	closed = true
	if err := f.Close(); err != nil {
		return fail(err)
	}
	if err := fsys.Rename(tmp, path); err != nil {
		return fail(err)
	}
	if err := fsys.SyncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("masterfile %s: written, but the directory fsync failed, so it may not survive a crash: %w", path, err)
	}
	return nil
}

// emitter checks and prints the RRs walk emits.
type emitter struct {
	w       *bufio.Writer
	origin  string
	serial  uint32
	comment func(dns.RR) string
	n       int
}

func (e *emitter) emit(rr dns.RR) error {
	if rr == nil {
		return errors.New("nil RR")
	}
	h := rr.Header()
	if !dnsname.Within(h.Name, e.origin) {
		return fmt.Errorf("owner %s is outside zone %s", h.Name, e.origin)
	}
	soa, isSOA := rr.(*dns.SOA)
	switch {
	case e.n == 0 && !isSOA:
		return fmt.Errorf("first record is %s, want the SOA", dns.TypeToString[h.Rrtype])
	case e.n == 0 && !strings.EqualFold(h.Name, e.origin):
		return fmt.Errorf("SOA owner %s is not the origin %s", h.Name, e.origin)
	case e.n == 0 && soa.Serial != e.serial:
		return fmt.Errorf("SOA serial %d, want %d", soa.Serial, e.serial)
	case e.n > 0 && isSOA:
		return errors.New("second SOA")
	}
	e.n++
	s := rr.String()
	tab := strings.IndexByte(s, '\t')
	if tab < 0 {
		return fmt.Errorf("cannot print %s", h.Name)
	}
	if _, err := e.w.WriteString(relative(s[:tab], e.origin)); err != nil {
		return err
	}
	if _, err := e.w.WriteString(s[tab:]); err != nil {
		return err
	}
	if e.comment != nil {
		if c := e.comment(rr); c != "" {
			if strings.ContainsAny(c, "\n\r") {
				return fmt.Errorf("comment %q spans lines", c)
			}
			if _, err := e.w.WriteString(" ; " + c); err != nil {
				return err
			}
		}
	}
	return e.w.WriteByte('\n')
}

// relative returns the printed owner name relative to origin, which it is
// known to be inside, falling back to the absolute name where the relative
// one could be misread.
func relative(printed, origin string) string {
	labels := dns.SplitDomainName(printed)
	k := dns.CountLabel(origin)
	if len(labels) == k {
		return "@"
	}
	if len(labels) < k {
		return printed
	}
	rel := strings.Join(labels[:len(labels)-k], ".")
	// A leading "$" would read as a directive such as $TTL.
	if rel == "" || rel[0] == '$' {
		return printed
	}
	return rel
}
