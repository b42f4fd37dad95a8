package zone

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// A zone kept by several replicas (storage in etcd) has one log that every
// replica appends to. Its Log refuses a batch made on a version that is no
// longer the log's head, returning Behind with what the zone lacks; the zone
// applies that, runs the same transactions again on the new version (their
// prerequisites included, so they stay exact under concurrency) and commits
// again. Changes committed by others reach an idle zone through Follow.

// Behind is the error of a Log that refused a batch because the log moved
// on without this zone: Changes are the changesets the zone lacks, in order.
type Behind struct{ Changes []Changeset }

func (b *Behind) Error() string {
	return fmt.Sprintf("the log has %d changes this zone has not applied", len(b.Changes))
}

// maxRetries bounds how often one batch is run again after Behind: under
// endless contention its updates fail rather than wait forever.
const maxRetries = 32

// ErrContention is the error of updates whose batch was refused maxRetries
// times because other replicas kept committing first.
var ErrContention = errors.New("other replicas kept committing first")

// Follow applies changesets that were committed to the log elsewhere, as
// the writer: pick runs with the writer lock held (so a Log can compare
// its position with the zone's) and returns them, oldest first. They were
// checked when they were made, so they are replayed record by record and
// published as one version.
func (z *Zone) Follow(pick func() []Changeset) error {
	z.wmu.Lock()
	defer z.wmu.Unlock()
	return z.follow(pick())
}

// follow applies committed changesets and publishes the result. Called with
// wmu held.
func (z *Zone) follow(cs []Changeset) (err error) {
	if len(cs) == 0 {
		return nil
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: following the log: %v\n%s", ErrPanic, p, debug.Stack())
		}
	}()
	t := newTxn(z.cur.Load(), z.deriver)
	for _, c := range cs {
		t.Apply(c)
	}
	z.seq++
	v := t.commit(z.seq)
	z.publish(v, cs)
	if fn := z.followed.Load(); fn != nil {
		(*fn)(v, cs)
	}
	return nil
}

// SetFollowed sets who is told of changes the zone followed (committed
// elsewhere), once they are served: nil for nobody. It is called with the
// writer lock held and must not update the zone.
func (z *Zone) SetFollowed(fn func(v *Version, cs []Changeset)) {
	if fn == nil {
		z.followed.Store(nil)
		return
	}
	z.followed.Store(&fn)
}

// publish makes v current and records the changesets that lead to it.
// Called with wmu held.
func (z *Zone) publish(v *Version, cs []Changeset) {
	z.cur.Store(v)
	for _, c := range cs {
		z.history.add(c)
		if len(c.Leases) > 0 {
			z.expiry.schedule(z.origin, c.Leases)
		}
	}
}

// Reload replaces the zone's whole state by what fn builds from an empty
// zone (a replica that fell too far behind its log loads a snapshot). The
// IXFR history starts over; lease deadlines are those fn sets.
func (z *Zone) Reload(fn func(*Txn) error) (err error) {
	z.wmu.Lock()
	defer z.wmu.Unlock()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: reload: %v\n%s", ErrPanic, p, debug.Stack())
		}
	}()
	t := newTxn(newVersion(z.origin), z.deriver)
	t.untracked = true
	if err := fn(t); err != nil {
		return err
	}
	cs := t.Changeset()
	z.seq++
	z.history.reset()
	z.publish(t.commit(z.seq), []Changeset{{Leases: cs.Leases}})
	return nil
}
