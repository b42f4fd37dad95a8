// Package storage is the seam between dyndns and where it keeps its zones:
// a Backend (a directory, an etcd cluster) opens one Store per zone, and the
// registry shares stores between the server blocks and reloads that use
// the same place, so that every zone has one writer and one log.
package storage

import (
	"time"

	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
)

// Store keeps one zone: it loaded it, makes its commits durable (it is the
// zone's Log), ends its leases, and writes it back.
type Store interface {
	// Zone is the zone the store keeps.
	Zone() *zone.Zone
	// SetExpired sets who is told of records whose lease ran out (nil: nobody).
	SetExpired(Expired)
	// SetHistory sets how many changesets are kept for IXFR (0: the
	// default, <0: none).
	SetHistory(n int)
	// SetSnapshotPolicy sets how often the zone is written back, and after
	// how many bytes of log (0: the defaults).
	SetSnapshotPolicy(interval time.Duration, logBytes int64)
	// Close writes the zone back and lets go of it. Updates after Close fail.
	Close() error
}

// Expired is told of the records whose lease ran out, once their deletion
// is committed, with the version that no longer holds them.
type Expired func(rrs []dns.RR, v *zone.Version)

// Options are what every store is opened with.
type Options struct {
	// Apex is what a zone that does not exist yet starts with (nil:
	// zone.DefaultApex).
	Apex []dns.RR
	// History, SnapshotInterval and SnapshotSize: see Store.
	History          int
	SnapshotInterval time.Duration
	SnapshotSize     int64
	// Logf and Warnf report what the store does and recoverable problems;
	// nil is silent.
	Logf, Warnf func(format string, args ...any)
}

// Log reports through Logf, if set.
func (o Options) Log(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

// Warn reports through Warnf, if set.
func (o Options) Warn(format string, args ...any) {
	if o.Warnf != nil {
		o.Warnf(format, args...)
	}
}

// Backend is a place that keeps zones.
type Backend interface {
	// Key names the place: blocks and reloads whose backends have the
	// same key share its stores, and only the first of them is started.
	Key() string
	// Start takes the place before its first store opens (locks a
	// directory, connects to etcd).
	Start() error
	// Open loads origin's zone with deriver d.
	Open(origin string, d zone.Deriver, opts Options) (Store, error)
	// Stop lets go of the place once its last store is closed.
	Stop() error
}
