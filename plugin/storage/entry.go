package storage

import (
	"github.com/dyndns/dyndns/plugin/journal"
	"github.com/dyndns/dyndns/plugin/zone"
)

// EntryOf and ChangesetOf convert between the zone's changesets and the
// journal's entries, which hold the same data: every store keeps
// changesets in the journal's format (a journal file, etcd's log).
func EntryOf(c zone.Changeset) journal.Entry {
	e := journal.Entry{From: c.From, To: c.To, Del: c.Del, Add: c.Add}
	for _, l := range c.Leases {
		e.Leases = append(e.Leases, journal.Lease{RR: l.RR, Until: l.Until})
	}
	return e
}

// ChangesetOf is the inverse of EntryOf.
func ChangesetOf(e journal.Entry) zone.Changeset {
	c := zone.Changeset{From: e.From, To: e.To, Del: e.Del, Add: e.Add}
	for _, l := range e.Leases {
		c.Leases = append(c.Leases, zone.Lease{RR: l.RR, Until: l.Until})
	}
	return c
}
