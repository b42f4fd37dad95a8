package durable

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/dyndns/dyndns/plugin/journal"
	"github.com/dyndns/dyndns/plugin/masterfile"
	"github.com/dyndns/dyndns/plugin/serial"
	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
)

// load fills t from the zone file at path, or from the default apex when
// there is no file (path "" means no file).
func load(t *zone.Txn, path string) error {
	if path != "" {
		l := t.Loader()
		err := masterfile.Read(path, t.Origin(), l.Add)
		if err == nil {
			l.Flush()
			return checkApex(t, path)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	for _, rr := range zone.DefaultApex(t.Origin()) {
		if err := t.Insert(rr); err != nil {
			return err
		}
	}
	return nil
}

func checkApex(t *zone.Txn, path string) error {
	for _, typ := range []uint16{dns.TypeSOA, dns.TypeNS} {
		if t.Own(t.Origin(), typ) == nil {
			return fmt.Errorf("%s: no %s record at the apex %s", path, dns.TypeToString[typ], t.Origin())
		}
	}
	return nil
}

// replay applies the journal entries newer than the zone's serial. Entries
// at or below it are already in the zone file (a crash between a snapshot
// and the journal's compaction leaves them behind).
func replay(t *zone.Txn, j *journal.Journal) (applied int, err error) {
	var mismatch journal.Entry
	var at, last uint32
	broken := false
	err = j.Replay(func(e journal.Entry) error {
		last = e.To
		if broken {
			return nil // read on only to name the journal's last serial
		}
		at = soaSerial(t)
		if !serial.Less(at, e.To) {
			return nil
		}
		if e.From != at {
			mismatch, broken = e, true
			return nil
		}
		t.Apply(zone.Changeset(e))
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
