// Package zone is dyndns's zone store: versioned, immutable zone states that
// readers load with one atomic read, and a single writer per zone that turns
// batches of transactions into new versions with group commit.
package zone

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/dyndns/dyndns/plugin/pollgate"
)

var (
	// ErrPanic is wrapped by the error of an update whose transaction
	// panicked. Nothing of that update is kept; the zone's other updates go on.
	ErrPanic = errors.New("update panicked")
	// ErrOverloaded is returned at once, before any work, by an update that
	// finds the zone's queue of waiting updates full.
	ErrOverloaded = errors.New("too many updates waiting for this zone")
)

// Log makes changesets durable. Commit returns once every changeset given is
// on stable storage, or with the error that prevented it.
type Log interface {
	Commit([]Changeset) error
}

// Zone is one authoritative zone.
type Zone struct {
	origin  string
	deriver Deriver // guarded by wmu
	cur     atomic.Pointer[Version]

	log Log // nil: changes live in memory only

	qmu        sync.Mutex // guards queue and queueLimit
	queue      []*request
	queueLimit int // 0: unbounded

	wmu sync.Mutex // held by the writer processing a batch
	seq uint64     // guarded by wmu

	followed atomic.Pointer[func(*Version, []Changeset)] // see SetFollowed

	expiry  expiry  // lease deadlines, see lease.go
	history history // recent changesets, for IXFR; see history.go
}

type request struct {
	fn      func(*Txn) error
	load    bool    // fn loads stored data: see Load
	deriver Deriver // set by SetDeriver: derive every service again with it
	cs      Changeset
	v       *Version
	err     error
	done    bool // set by the writer under wmu
}

// New returns an empty zone (no SOA yet) for origin, a lower-case FQDN.
func New(origin string, d Deriver) *Zone {
	z := &Zone{origin: origin, deriver: d, expiry: expiry{wake: make(chan struct{}, 1)}, history: history{max: DefaultHistory}}
	z.cur.Store(newVersion(origin))
	return z
}

// Origin is the zone apex.
func (z *Zone) Origin() string { return z.origin }

// Current returns the newest published version. It never blocks.
func (z *Zone) Current() *Version { return z.cur.Load() }

// SetLog sets where changesets go before they are published. It must be
// called before the first Update.
func (z *Zone) SetLog(l Log) { z.log = l }

// SetQueueLimit bounds the updates that may wait while the writer works
// (0: no bound). Past it, Update fails with ErrOverloaded without waiting,
// so a flood costs neither unbounded goroutines nor memory.
func (z *Zone) SetQueueLimit(n int) {
	z.qmu.Lock()
	z.queueLimit = n
	z.qmu.Unlock()
}

// Queued returns how many updates wait for the writer.
func (z *Zone) Queued() int {
	z.qmu.Lock()
	defer z.qmu.Unlock()
	return len(z.queue)
}

// Update runs fn in a transaction on the newest state and publishes the result.
// Updates are serialised: each one sees every update before it. Concurrent
// callers are committed in batches (one Log.Commit for all of them), so the
// cost of making them durable is shared. If fn returns an error, nothing of
// its transaction is kept and the error is returned. If the Log fails, every
// update of that batch fails and the zone stays as it was. A panic in fn
// (or in deriving its changes) fails that update alone, with ErrPanic.
//
// It returns the effective changeset (empty when nothing changed) and the
// version that holds it.
func (z *Zone) Update(fn func(*Txn) error) (Changeset, *Version, error) {
	return z.submit(&request{fn: fn})
}

func (z *Zone) submit(r *request) (Changeset, *Version, error) {
	z.qmu.Lock()
	if z.queueLimit > 0 && len(z.queue) >= z.queueLimit {
		z.qmu.Unlock()
		return Changeset{}, nil, ErrOverloaded
	}
	z.queue = append(z.queue, r)
	z.qmu.Unlock()

	z.wmu.Lock()
	defer z.wmu.Unlock()
	if !r.done {
		z.qmu.Lock()
		batch := z.queue
		z.queue = nil
		z.qmu.Unlock()
		z.process(batch)
	}
	return r.cs, r.v, r.err
}

// Load runs fn, which loads data already stored (a zone file, a journal, a
// snapshot), in a transaction that keeps no changeset of records: nothing of
// it goes to the Log or to the IXFR history, and a load of n names does not
// pay for comparing n sets before and after. Lease deadlines fn sets are
// scheduled. It always publishes a new version.
func (z *Zone) Load(fn func(*Txn) error) error {
	_, _, err := z.submit(&request{fn: fn, load: true})
	return err
}

// SetDeriver changes the derivation rules and derives every service again,
// in one commit that bumps the serial (served data changed: secondaries must
// transfer again). It costs a walk of the zone; reloads call it when the
// rules of a shared zone changed. The IXFR history starts over: older
// changesets no longer tell what was served.
func (z *Zone) SetDeriver(d Deriver) error {
	if d == nil {
		d = noDeriver{}
	}
	_, _, err := z.submit(&request{deriver: d})
	return err
}

// noDeriver derives nothing; it stands for a nil Deriver in a request.
type noDeriver struct{}

func (noDeriver) Services(string) []string { return nil }

// process applies a batch in order, makes its changesets durable with one
// Log.Commit, then publishes the last version. A Log that says the zone is
// Behind gets the batch again, run on the version that catches up. Called
// with wmu held.
func (z *Zone) process(batch []*request) {
	for attempt := 0; ; attempt++ {
		err := z.attempt(batch)
		var behind *Behind
		if !errors.As(err, &behind) {
			return
		}
		if err = z.follow(behind.Changes); err == nil && attempt == maxRetries {
			err = ErrContention
		}
		if err != nil {
			for _, r := range batch {
				r.cs, r.v, r.err = Changeset{}, nil, err
				r.done = true
			}
			return
		}
	}
}

// attempt is one try of process. It returns the Log's Behind error, without
// settling the batch, so that it can be tried again.
func (z *Zone) attempt(batch []*request) error {
	v := z.cur.Load()
	d, rederived := z.deriver, false
	var changes []Changeset
	// Each transaction is a turn of the process's pollgate, so that queries
	// are read between the updates of a batch: with one thread a batch would
	// otherwise hold it for as long as all of them take.
	gate := pollgate.Shared()
	for _, r := range batch {
		turn := gate.Enter()
		r.err = nil // from an attempt before, if any
		next, err := z.run(v, d, r)
		turn.Leave()
		if err != nil {
			r.cs, r.err = Changeset{}, err
		} else {
			v = next
			if r.deriver != nil { // later requests of the batch use the new rules
				d, rederived = r.deriver, true
			}
		}
		if !r.cs.Empty() && !r.load { // a load is stored already
			changes = append(changes, r.cs)
		}
		r.v = v
	}
	if z.log != nil {
		if err := z.commitLog(changes); err != nil {
			if errors.As(err, new(*Behind)) {
				return err
			}
			for _, r := range batch {
				r.cs, r.v, r.err = Changeset{}, nil, err
				r.done = true
			}
			return nil
		}
	}
	z.cur.Store(v)
	z.deriver = d
	if rederived {
		z.history.reset()
	}
	for _, r := range batch {
		if r.err == nil && r.deriver == nil {
			z.history.add(r.cs)
		}
		if len(r.cs.Leases) > 0 {
			z.expiry.schedule(z.origin, r.cs.Leases)
		}
		r.done = true
	}
	return nil
}

// Locked runs fn with the current version while no update commits: every
// change the version holds has been handed to the Log, and nothing else
// has. A snapshot uses it to pair a version with the journal position that
// leads to it.
func (z *Zone) Locked(fn func(*Version)) {
	z.wmu.Lock()
	defer z.wmu.Unlock()
	fn(z.cur.Load())
}

// run applies one request's transaction to v and returns the version that
// holds it (v itself when nothing changed). A panic is turned into an error:
// the transaction is dropped and v is untouched, since versions are never
// modified in place.
func (z *Zone) run(v *Version, d Deriver, r *request) (next *Version, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v\n%s", ErrPanic, p, debug.Stack())
		}
	}()
	t := newTxn(v, d)
	t.untracked, t.forced = r.load, r.load
	if r.deriver != nil {
		t.deriver = r.deriver
		t.rederive()
		t.BumpSerial()
	}
	if r.fn != nil {
		if err := r.fn(t); err != nil {
			return v, err
		}
	}
	if r.cs = t.Changeset(); !r.cs.Empty() || t.forced {
		z.seq++
		return t.commit(z.seq), nil
	}
	return v, nil
}

// commitLog hands the batch's changesets to the Log, or, when the batch
// changed nothing, asks a Verifier whether the batch ran on the log's head.
// A panic there fails the batch like any other Log error.
func (z *Zone) commitLog(changes []Changeset) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: log: %v", ErrPanic, p)
		}
	}()
	if len(changes) > 0 {
		return z.log.Commit(changes)
	}
	if v, ok := z.log.(Verifier); ok {
		return v.Verify()
	}
	return nil
}

// Verifier is a Log shared by replicas that can tell whether the zone
// holds every change committed so far (nil) or is Behind. A batch that
// changes nothing (prerequisites that failed, a re-registration) commits
// nothing, so without this it could answer from a version that another
// replica's commit already made old.
type Verifier interface {
	Verify() error
}
