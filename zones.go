package dyndns

import (
	"fmt"

	"github.com/coredns/caddy"
	"github.com/dyndns/dyndns/plugin/durable"
)

// dirClaims records, per server instance, which server block uses which
// directory: two blocks sharing one would be two writers of one journal.
type dirClaims struct{}

// open acquires the store of every zone of the block.
func (d *DynDNS) open(c *caddy.Controller) error {
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
	opts := durable.Options{
		SnapshotInterval:    d.snapshotInterval,
		SnapshotJournalSize: d.snapshotJournalSize,
		Logf:                log.Infof,
		Warnf:               log.Warningf,
	}
	for _, origin := range d.origins {
		s, err := acquire(d.directory, origin, d.rules, opts)
		if err != nil {
			d.close()
			return err
		}
		d.zones[origin] = s.Zone
		v := s.Zone.Current()
		zoneRecords.WithLabelValues(origin).Set(float64(v.Records()))
		zoneSerial.WithLabelValues(origin).Set(float64(v.Serial()))
	}
	return nil
}

// close releases the block's stores; the last instance using a store
// writes its final snapshot. It is the block's OnShutdown, which runs on
// reload (after the new instance acquired the same stores) and at exit.
func (d *DynDNS) close() error {
	var first error
	for origin := range d.zones {
		if err := release(d.directory, origin); err != nil && first == nil {
			first = err
		}
		delete(d.zones, origin)
	}
	return first
}
