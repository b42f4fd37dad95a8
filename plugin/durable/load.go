package durable

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/dyndns/dyndns/plugin/journal"
	"github.com/dyndns/dyndns/plugin/masterfile"
	"github.com/dyndns/dyndns/plugin/serial"
	"github.com/dyndns/dyndns/plugin/storage"
	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
)

// load fills t from the zone file at path, or from apex (nil: the default
// apex) when there is no file (path "" means no file). It returns the
// journal LSN the file covers (0: not said, a file dyndns did not write).
func load(t *zone.Txn, path string, apex []dns.RR) (lsn uint64, err error) {
	if path != "" {
		l := t.Loader()
		var leases []zone.Lease
		err := masterfile.ReadAnnotated(path, t.Origin(), func(rr dns.RR, comment string) error {
			at, until, err := parseComment(rr, comment)
			if err != nil {
				return err
			}
			if at != 0 {
				lsn = at
			}
			if until != 0 {
				leases = append(leases, zone.Lease{RR: rr, Until: until})
			}
			return l.Add(rr)
		})
		if err == nil {
			l.Flush()
			for _, le := range leases {
				t.SetLease(le.RR, le.Until)
			}
			return lsn, checkApex(t, path)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return 0, err
		}
	}
	if apex == nil {
		apex = zone.DefaultApex(t.Origin())
	}
	for _, rr := range apex {
		if err := t.Insert(dns.Copy(rr)); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

func checkApex(t *zone.Txn, path string) error {
	for _, typ := range []uint16{dns.TypeSOA, dns.TypeNS} {
		if t.Own(t.Origin(), typ) == nil {
			return fmt.Errorf("%s: no %s record at the apex %s", path, dns.TypeToString[typ], t.Origin())
		}
	}
	return nil
}

// replay applies the journal entries the zone file does not cover: those
// after fileLSN (0: the file does not say) and newer than its serial.
// Covered entries are left behind by a crash between a snapshot and the
// journal's compaction.
//
// Every entry, covered or not, is also given to seen, in journal order: the
// IXFR history.
func replay(t *zone.Txn, j *journal.Journal, fileLSN uint64, seen func(zone.Changeset)) (applied int, err error) {
	var mismatch journal.Entry
	var at, last uint32
	broken := false
	err = j.Replay(func(e journal.Entry) error {
		last = e.To
		if broken {
			return nil // read on only to name the journal's last serial
		}
		seen(storage.ChangesetOf(e))
		at = soaSerial(t)
		// Covered by the file's LSN, or older than its serial (a file
		// edited by hand with a higher serial wins over what was journaled
		// before it). A renewal changes no serial: it is older only when
		// its serial is.
		covered := fileLSN != 0 && e.LSN <= fileLSN
		older := !serial.Less(at, e.To)
		if e.From == e.To && len(e.Del) == 0 && len(e.Add) == 0 {
			older = serial.Less(e.To, at)
		}
		if covered || older {
			return nil
		}
		if e.From != at {
			mismatch, broken = e, true
			return nil
		}
		t.Apply(storage.ChangesetOf(e))
		applied++
		return nil
	})
	if err == nil && broken {
		err = fmt.Errorf("%s: entry %d→%d does not continue the zone at serial %d: the zone file was changed "+
			"without raising its serial to %d or more, or the journal belongs to another zone file",
			j.Path(), mismatch.From, mismatch.To, at, last)
	}
	return applied, err
}

func soaSerial(t *zone.Txn) uint32 {
	if soa := t.Own(t.Origin(), dns.TypeSOA); len(soa) > 0 {
		return soa[0].(*dns.SOA).Serial
	}
	return 0
}
