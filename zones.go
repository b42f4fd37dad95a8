package dyndns

import (
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sync/atomic"

	"github.com/coredns/caddy"
	"github.com/dyndns/dyndns/plugin/storage"
	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
)

// dirClaims records, per server instance, which server block uses which
// directory: two blocks sharing one would be two writers of one journal.
type dirClaims struct{}

// generations numbers caddy instances in the order they are set up; stores
// are owned by generations (see storage.Acquire).
var generations atomic.Uint64

// instanceGeneration is the key under which a caddy instance keeps its
// generation number, shared by its blocks.
type instanceGeneration struct{}

// open acquires the store of every zone of the block. The stores keep
// running with their current settings until the instance starts (apply).
func (d *DynDNS) open(c *caddy.Controller) error {
	gen, ok := c.Get(instanceGeneration{}).(uint64)
	if !ok {
		gen = generations.Add(1)
		c.Set(instanceGeneration{}, gen)
	}
	d.gen = gen
	if d.directory != "" {
		claims, _ := c.Get(dirClaims{}).(map[string]int)
		if claims == nil {
			claims = map[string]int{}
			c.Set(dirClaims{}, claims)
		}
		if block, ok := claims[d.directory]; ok && block != c.ServerBlockIndex {
			return fmt.Errorf("directory %s is already used by another server block", d.directory)
		}
		claims[d.directory] = c.ServerBlockIndex
	}
	opts := storage.Options{
		SnapshotInterval: d.snapshotInterval,
		SnapshotSize:     d.snapshotJournalSize,
		History:          d.ixfrHistory,
		Logf:             log.Infof,
		Warnf:            log.Warningf,
	}
	opened := len(storage.Open())
	for _, origin := range d.origins {
		opts.Apex = d.apex(origin)
		s, err := storage.Acquire(d.gen, d.backend, origin, d.settings(), opts)
		if err != nil {
			d.close()
			return err
		}
		d.zones[origin] = s.Zone()
	}
	if len(storage.Open()) > opened {
		// A load leaves garbage about the size of the zone (parsed records,
		// the loader's maps) that the runtime would give back to the OS
		// over minutes: give it back now, so that a server's memory after
		// it starts is what its zones take. Reloads that load nothing skip it.
		debug.FreeOSMemory()
	}
	return nil
}

// settings are the block's options that live in its shared stores.
func (d *DynDNS) settings() storage.Settings {
	return storage.Settings{
		Deriver:          d.rules,
		Rules:            d.rules.String(),
		SnapshotInterval: d.snapshotInterval,
		SnapshotSize:     d.snapshotJournalSize,
		QueueLimit:       d.limits.queuedUpdates,
		History:          d.ixfrHistory,
	}
}

// apply gives the block's stores its settings. It is the block's
// OnStartup: a reload that fails before it leaves the zones as they were.
func (d *DynDNS) apply() error {
	var errs []error
	for _, origin := range d.origins {
		errs = append(errs, storage.Apply(d.backend.Key(), origin, d.settings(), storage.Hooks{Expired: d.expired, Followed: d.followed}))
		d.observe(origin, d.zones[origin].Current())
	}
	if d.ptr {
		errs = append(errs, d.reconcilePTR())
	}
	return errors.Join(errs...)
}

// expired is told by a store of the records whose lease ran out: the
// deletion is committed; the log, the metrics and the secondaries learn of it.
func (d *DynDNS) expired(rrs []dns.RR, v *zone.Version) {
	origin := v.Origin()
	for _, rr := range rrs {
		log.Infof("zone %s: lease of %s %s %s ran out, deleted at serial %d", origin, rr.Header().Name,
			dns.TypeToString[rr.Header().Rrtype], appendRdata(nil, rr), v.Serial())
	}
	expirations.WithLabelValues(origin).Add(float64(len(rrs)))
	d.observe(origin, v)
	d.notify(origin)
	d.refreshChecks()
	if d.ptrEnabled(origin) {
		if err := d.followHosts(origin, addressesOf(rrs)); err != nil {
			log.Errorf("zone %s: %v", origin, err)
		}
	}
}

// followed is told of changes another replica committed (storage in etcd),
// once this one serves them: the metrics and this replica's secondaries
// learn of them as of its own.
func (d *DynDNS) followed(v *zone.Version, cs []zone.Changeset) {
	d.observe(v.Origin(), v)
	if slices.ContainsFunc(cs, zone.Changeset.ChangesRecords) {
		d.notify(v.Origin())
		d.refreshChecks()
	}
}

// refreshChecks tells the health checker that services may have changed.
func (d *DynDNS) refreshChecks() {
	if d.checker != nil {
		d.checker.Refresh()
	}
}

// restartFailed is the running block's OnRestartFailed: the instance that
// failed to start never shuts down, so its holds on the stores are dropped
// here, and this block's settings are put back in case the failed instance
// got as far as applying its own.
func (d *DynDNS) restartFailed() error {
	return errors.Join(storage.DropNewer(d.gen), d.apply())
}

// close releases the block's stores; the last instance using a store
// writes its final snapshot. It is the block's OnShutdown, which runs on
// reload (after the new instance acquired the same stores) and at exit.
// The zones stay readable: the old instance may still be answering.
func (d *DynDNS) close() error {
	var errs []error
	d.closeOnce.Do(func() {
		if d.checker != nil {
			d.checker.Stop()
			checkers.Delete(d)
		}
		for origin := range d.zones {
			errs = append(errs, storage.Release(d.gen, d.backend.Key(), origin))
		}
	})
	return errors.Join(errs...)
}
