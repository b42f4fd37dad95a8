package storage

import (
	"errors"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/dyndns/dyndns/plugin/zone"
)

// Zones outlive server instances. With the reload plugin the new instance is
// set up before the old one shuts down, and both must use the same store
// (one log, one writer) per zone, or an update acknowledged by one would be
// missing from the other. Stores are therefore shared, owned by the
// instances (generations) whose blocks use them, and closed (final
// snapshot) when the last owner lets go; a place (Backend) is stopped when
// its last store is closed.
//
// A reload that fails after some blocks were set up leaves owners that
// never start; the running instance drops them (DropNewer) and puts back
// its own settings, so a failed reload changes nothing.
var registry = struct {
	sync.Mutex
	stores map[storeKey]*shared
	places map[string]*place
}{stores: map[storeKey]*shared{}, places: map[string]*place{}}

type storeKey struct{ place, origin string }

type shared struct {
	store    Store
	owners   map[uint64]int // generation → blocks of it holding the store
	settings Settings       // what the zone runs with now
}

type place struct {
	backend Backend
	stores  int
}

// Settings are the parts of a block's configuration that live in a shared
// store, so a reload that changes them must apply them.
type Settings struct {
	Deriver          zone.Deriver
	Rules            string // the deriver's canonical text: equal rules, equal text
	SnapshotInterval time.Duration
	SnapshotSize     int64
	QueueLimit       int
	History          int
}

// same reports whether two settings ask the same of a store.
func (s Settings) same(o Settings) bool {
	s.Deriver, o.Deriver = nil, nil
	return s == o
}

// Acquire returns the store of origin at b's place for generation gen,
// starting the place and opening the store on first use. A store that is
// already open keeps its settings: Apply changes them once the new
// instance starts.
func Acquire(gen uint64, b Backend, origin string, set Settings, opts Options) (Store, error) {
	registry.Lock()
	defer registry.Unlock()
	k := storeKey{b.Key(), origin}
	if s := registry.stores[k]; s != nil {
		s.owners[gen]++
		return s.store, nil
	}
	p := registry.places[k.place]
	if p == nil {
		if err := b.Start(); err != nil {
			return nil, err
		}
		p = &place{backend: b}
		registry.places[k.place] = p
	}
	st, err := openPacked(p.backend, origin, set.Deriver, opts)
	if err != nil {
		stopUnused(k.place, p)
		return nil, err
	}
	p.stores++
	st.Zone().SetQueueLimit(set.QueueLimit)
	registry.stores[k] = &shared{store: st, owners: map[uint64]int{gen: 1}, settings: set}
	return st, nil
}

// Hooks are what a block is told of the changes it did not make itself.
type Hooks struct {
	Expired  Expired                                    // records whose lease ran out
	Followed func(v *zone.Version, cs []zone.Changeset) // changes another replica committed
}

// Apply brings the store of origin at place key to the settings of a block
// that starts (or, after a failed reload, of the one that keeps running),
// and makes it report to that block's hooks. Only what changed is done:
// new derive rules cost a walk of the zone.
func Apply(key, origin string, set Settings, hooks Hooks) error {
	registry.Lock()
	defer registry.Unlock()
	s := registry.stores[storeKey{key, origin}]
	if s == nil {
		return nil
	}
	// The instance that starts is told from now on.
	s.store.SetExpired(hooks.Expired)
	s.store.Zone().SetFollowed(hooks.Followed)
	if s.settings.same(set) {
		return nil
	}
	if s.settings.Rules != set.Rules {
		if err := s.store.Zone().SetDeriver(set.Deriver); err != nil {
			return err
		}
	}
	s.store.SetSnapshotPolicy(set.SnapshotInterval, set.SnapshotSize)
	s.store.Zone().SetQueueLimit(set.QueueLimit)
	s.store.SetHistory(set.History)
	s.settings = set
	return nil
}

// Release lets go of generation gen's hold on a store; the last owner
// closes it.
func Release(gen uint64, key, origin string) error {
	registry.Lock()
	defer registry.Unlock()
	k := storeKey{key, origin}
	s := registry.stores[k]
	if s == nil || s.owners[gen] == 0 {
		return nil
	}
	if s.owners[gen]--; s.owners[gen] == 0 {
		delete(s.owners, gen)
	}
	return closeUnowned(k, s)
}

// DropNewer removes every hold of generations after gen: they belong to a
// reload that failed and will never shut down.
func DropNewer(gen uint64) error {
	registry.Lock()
	defer registry.Unlock()
	var errs []error
	for k, s := range registry.stores {
		for g := range s.owners {
			if g > gen {
				delete(s.owners, g)
			}
		}
		errs = append(errs, closeUnowned(k, s))
	}
	return errors.Join(errs...)
}

// closeUnowned closes s when nobody holds it, and its place when that was
// its last store. Called with the registry locked.
func closeUnowned(k storeKey, s *shared) error {
	if len(s.owners) > 0 {
		return nil
	}
	delete(registry.stores, k)
	err := s.store.Close()
	p := registry.places[k.place]
	p.stores--
	return errors.Join(err, stopUnused(k.place, p))
}

// stopUnused stops a place without stores. Called with the registry locked.
func stopUnused(key string, p *place) error {
	if p.stores > 0 {
		return nil
	}
	delete(registry.places, key)
	return p.backend.Stop()
}

// Lookup returns the open store of origin at place key, or nil.
func Lookup(key, origin string) Store {
	registry.Lock()
	defer registry.Unlock()
	if s := registry.stores[storeKey{key, origin}]; s != nil {
		return s.store
	}
	return nil
}

// Each calls fn for every open store, with its place's key and its zone.
func Each(fn func(key, origin string, s Store)) {
	registry.Lock()
	defer registry.Unlock()
	for k, s := range registry.stores {
		fn(k.place, k.origin, s.store)
	}
}

// Open lists the open stores ("place|origin") and started places: empty
// once every instance has shut down.
func Open() []string {
	registry.Lock()
	defer registry.Unlock()
	var open []string
	for k := range registry.stores {
		open = append(open, k.place+"|"+k.origin)
	}
	for key := range registry.places {
		open = append(open, "place "+key)
	}
	slices.Sort(open)
	return open
}

// loadGCPercent is the GOGC a store's load runs with (unless the process's
// is lower). A load makes the zone's records among as much garbage (parsed
// text, the loader's maps); collected often, the garbage's slots are taken
// by the records that follow, so the zone ends up in fewer pages. At
// 100,000 hosts: 2.6 MB less heap in use and 3.4 MB less RSS than at the
// default 100, for about a tenth more load time.
const loadGCPercent = 25

// openPacked opens a store at loadGCPercent.
func openPacked(b Backend, origin string, d zone.Deriver, opts Options) (Store, error) {
	prev := debug.SetGCPercent(loadGCPercent)
	if prev >= 0 && prev < loadGCPercent {
		debug.SetGCPercent(prev)
	}
	defer debug.SetGCPercent(prev)
	return b.Open(origin, d, opts)
}
