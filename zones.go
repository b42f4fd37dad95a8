package dyndns

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/coredns/caddy"
	"github.com/dyndns/dyndns/plugin/masterfile"
	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
)

// zoneFile is where a zone's master file lives: db.<zone> in the directory
// (db.root for the root zone).
func zoneFile(dir, origin string) string {
	name := strings.TrimSuffix(origin, ".")
	if name == "" {
		name = "root"
	}
	return filepath.Join(dir, "db."+name)
}

// open loads every zone of the block.
func (d *DynDNS) open(c *caddy.Controller) error {
	for _, origin := range d.origins {
		z, err := loadZone(d.directory, origin, d.rules)
		if err != nil {
			return err
		}
		d.zones[origin] = z
		zoneRecords.WithLabelValues(origin).Set(float64(z.Current().Records()))
		zoneSerial.WithLabelValues(origin).Set(float64(z.Current().Serial()))
	}
	return nil
}

// close is the block's OnShutdown.
func (d *DynDNS) close() error { return nil }

// loadZone reads db.<zone> from dir, or starts the zone from the default apex
// when there is no such file (or no directory).
func loadZone(dir, origin string, d zone.Deriver) (*zone.Zone, error) {
	z := zone.New(origin, d)
	path := ""
	if dir != "" {
		path = zoneFile(dir, origin)
	}
	_, _, err := z.Update(func(t *zone.Txn) error {
		if path != "" {
			err := masterfile.Read(path, origin, t.Insert)
			if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		for _, rr := range zone.DefaultApex(origin) {
			if err := t.Insert(rr); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("zone %s: %w", origin, err)
	}
	if z.Current().SOA() == nil {
		return nil, fmt.Errorf("zone %s: %s has no SOA record at the apex", origin, path)
	}
	if _, err := os.Stat(path); path != "" && err == nil && z.Current().Node(origin).RRset(dns.TypeNS) == nil {
		return nil, fmt.Errorf("zone %s: %s has no NS record at the apex", origin, path)
	}
	return z, nil
}
