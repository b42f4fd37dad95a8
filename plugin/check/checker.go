package check

import (
	"context"
	"errors"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Checker runs the health checks of a Config on the members of the services
// they apply to.
type Checker struct {
	cfg        Config
	members    Members
	probes     []*probe
	dialer     *net.Dialer
	client     *http.Client
	publishGap time.Duration // the least time between two published snapshots of state changes
	refreshGap time.Duration // the least time between two Members calls

	snap     atomic.Pointer[snapshot] // what Down and Stats read
	inFlight atomic.Int32             // checks running

	mu         sync.Mutex
	targets    map[targetKey]*target // guarded by mu
	services   map[string]*service   // guarded by mu; the checked services of the last Members call
	dirty      []*service            // guarded by mu; services whose state is not yet published
	gen        uint64                // guarded by mu; counts Members calls
	pubTimer   *time.Timer           // guarded by mu
	pubPending bool                  // guarded by mu
	lastPub    time.Time             // guarded by mu
	scratch    []netip.Addr          // guarded by mu

	queue targetHeap // the scheduler goroutine's own

	jobs    chan *target
	refresh chan struct{}
	stop    chan struct{}
	ctx     context.Context // cancelled by Stop, ending probes in flight
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	life             sync.Mutex
	started, stopped bool // guarded by life
}

type targetKey struct {
	probe int
	addr  netip.Addr
}

// target is one probe of one address, shared by every service that has both.
type target struct {
	probe *probe
	addr  netip.Addr
	url   string // http: the URL to get

	due  time.Time // the scheduler's own
	hidx int       // the scheduler's own: index in the queue

	running atomic.Bool // queued for or held by a worker
	removed atomic.Bool // set (under mu) when the target is dropped

	down          bool       // guarded by mu
	passes, fails int        // guarded by mu: consecutive results, saturating at Rise and Fall
	services      []*service // guarded by mu
	gen           uint64     // guarded by mu: the last Members call that named it
}

// service is a checked service as of the last Members call. Guarded by mu.
type service struct {
	name    string
	probes  []*probe  // the checks that apply to it
	targets []*target // every member address × every probe
	members int       // distinct addresses
	dirty   bool      // in Checker.dirty
	cur     *svcState // as published
}

// snapshot is the immutable state the query path reads.
type snapshot struct {
	services map[string]*svcState
}

type svcState struct {
	down    *Set // nil when every member is passing
	members int
}

// New validates cfg, fills in its defaults and returns a Checker of the
// members given by members. It starts nothing: see Start.
func New(cfg Config, members Members) (*Checker, error) {
	if members == nil {
		return nil, errors.New("no members function")
	}
	probes, err := normalize(&cfg)
	if err != nil {
		return nil, err
	}
	dialer := &net.Dialer{KeepAlive: -1}
	c := &Checker{
		cfg:        cfg,
		members:    members,
		probes:     probes,
		dialer:     dialer,
		publishGap: min(cfg.Interval/20, 50*time.Millisecond),
		refreshGap: min(cfg.Interval/20, 250*time.Millisecond),
		targets:    map[targetKey]*target{},
		services:   map[string]*service{},
		jobs:       make(chan *target),
		refresh:    make(chan struct{}, 1),
		stop:       make(chan struct{}),
	}
	c.client = newHTTPClient(dialer, cfg.Timeout)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.snap.Store(&snapshot{services: map[string]*svcState{}})
	return c, nil
}

// Config returns the configuration in effect: the one given to New with its
// defaults filled in and its service names normalized.
func (c *Checker) Config() Config {
	cfg := c.cfg
	cfg.Checks = slices.Clone(cfg.Checks)
	return cfg
}

// Start starts the scheduler and the workers. It is idempotent, and does
// nothing after Stop.
func (c *Checker) Start() {
	c.life.Lock()
	defer c.life.Unlock()
	if c.started || c.stopped {
		return
	}
	c.started = true
	c.wg.Add(1 + c.cfg.Workers)
	go c.run()
	for range c.cfg.Workers {
		go c.work()
	}
}

// Stop stops the checks, cancelling those in flight, and waits for them to
// end. It is idempotent. Down and Stats keep answering the last state.
func (c *Checker) Stop() {
	c.life.Lock()
	defer c.life.Unlock()
	if c.stopped {
		return
	}
	c.stopped = true
	c.cancel()
	if c.started {
		close(c.stop)
		c.wg.Wait()
	}
	c.client.CloseIdleConnections()
	c.mu.Lock()
	if c.pubTimer != nil {
		c.pubTimer.Stop()
	}
	c.pubPending = false
	c.publishLocked() // what the last checks found
	c.mu.Unlock()
}

// Refresh tells the checker that members changed: it calls Members again
// soon (at most every Interval/20, and at least every Interval). It never
// blocks.
func (c *Checker) Refresh() {
	select {
	case c.refresh <- struct{}{}:
	default:
	}
}

// Down returns the addresses of service that are out of its rotation now, or
// nil when none is (or service is not checked). It reads an immutable
// snapshot: it neither locks nor allocates, and is safe for concurrent use.
// service is spelt as in the keys of Members.
func (c *Checker) Down(service string) *Set {
	if st := c.snap.Load().services[service]; st != nil {
		return st.down
	}
	return nil
}

// Stats returns the member and passing counts of every checked service of
// the last Members call, sorted by service name.
func (c *Checker) Stats() []ServiceStats {
	services := c.snap.Load().services
	out := make([]ServiceStats, 0, len(services))
	for name, st := range services {
		out = append(out, ServiceStats{Service: name, Members: st.members, Passing: st.members - st.down.Len()})
	}
	slices.SortFunc(out, func(a, b ServiceStats) int { return strings.Compare(a.Service, b.Service) })
	return out
}

// InFlight returns the number of checks running now (at most Workers).
func (c *Checker) InFlight() int { return int(c.inFlight.Load()) }

// run is the scheduler: it calls Members every interval (or soon after
// Refresh) and hands the targets that are due to the workers.
func (c *Checker) run() {
	defer c.wg.Done()
	iv := c.cfg.Interval
	timer := time.NewTimer(iv)
	defer timer.Stop()
	var lastMembers time.Time
	nextMembers := time.Now()
	for {
		if now := time.Now(); !now.Before(nextMembers) {
			c.enqueue(c.recompute(), now)
			lastMembers, nextMembers = now, now.Add(iv)
		}
		if !c.dispatch() {
			return
		}
		wake := nextMembers
		if len(c.queue) > 0 && c.queue[0].due.Before(wake) {
			wake = c.queue[0].due
		}
		timer.Reset(time.Until(wake))
		select {
		case <-timer.C:
		case <-c.refresh:
			if at := lastMembers.Add(c.refreshGap); at.Before(nextMembers) {
				nextMembers = at
			}
		case <-c.stop:
			return
		}
	}
}

// enqueue queues new targets, each due first at a random offset in
// [0, Interval) from now, so that their checks spread over the interval.
func (c *Checker) enqueue(added []*target, now time.Time) {
	for _, t := range added {
		t.due = now.Add(rand.N(c.cfg.Interval))
		c.queue.push(t)
	}
}

// dispatch hands every due target to a worker, moving it on by one interval
// (or more: the ticks it missed are skipped). A target still queued or
// running when its time comes skips that tick. When every worker is busy
// it waits for one: the pool bounds the checks in flight, and no work piles
// up beyond one pending check per target. It returns false when stopped.
func (c *Checker) dispatch() bool {
	iv := c.cfg.Interval
	now := time.Now()
	for len(c.queue) > 0 {
		t := c.queue[0]
		if t.removed.Load() {
			c.queue.pop()
			continue
		}
		if t.due.After(now) {
			break
		}
		t.due = t.due.Add(iv)
		if !t.due.After(now) {
			t.due = t.due.Add((now.Sub(t.due)/iv + 1) * iv)
		}
		c.queue.fix(0)
		if !t.running.CompareAndSwap(false, true) {
			continue
		}
		select {
		case c.jobs <- t:
		default:
			select {
			case c.jobs <- t:
			case <-c.stop:
				t.running.Store(false)
				return false
			}
			now = time.Now()
		}
	}
	return true
}

// work is one worker of the pool.
func (c *Checker) work() {
	defer c.wg.Done()
	for {
		select {
		case t := <-c.jobs:
			c.inFlight.Add(1)
			ok := c.probe(t)
			c.inFlight.Add(-1)
			if c.ctx.Err() == nil { // not cut short by Stop
				c.report(t, ok)
			}
			t.running.Store(false)
		case <-c.stop:
			return
		}
	}
}

// recompute calls Members and brings the targets and services in line with
// it: targets of addresses that left are dropped with their state, new ones
// start passing. It returns the new targets, for the scheduler to queue.
func (c *Checker) recompute() []*target {
	m := c.members()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	gen := c.gen
	var added []*target
	services := make(map[string]*service, len(c.services))
	for name, addrs := range m {
		s := c.services[name]
		if s == nil {
			if s = c.newService(name); s == nil {
				continue
			}
		}
		services[name] = s
		s.targets, s.members = s.targets[:0], 0
		for _, a := range addrs {
			if a = canonical(a); !a.IsValid() {
				continue
			}
			dup := false
			for _, p := range s.probes {
				k := targetKey{p.idx, a}
				t := c.targets[k]
				if t == nil {
					t = c.newTarget(p, a)
					c.targets[k] = t
					added = append(added, t)
				}
				if t.gen != gen {
					t.gen, t.services = gen, t.services[:0]
				}
				if n := len(t.services); n > 0 && t.services[n-1] == s {
					dup = true // the same address twice in the service
					break
				}
				t.services = append(t.services, s)
				s.targets = append(s.targets, t)
			}
			if !dup {
				s.members++
			}
		}
	}
	for k, t := range c.targets {
		if t.gen != gen {
			t.removed.Store(true)
			t.services = nil
			delete(c.targets, k)
		}
	}
	changed := len(services) != len(c.services)
	for name, s := range services {
		s.dirty = false
		if st := c.state(s); st != s.cur {
			s.cur, changed = st, true
		}
		if !changed && c.services[name] != s {
			changed = true
		}
	}
	c.services = services
	clear(c.dirty)
	c.dirty = c.dirty[:0]
	if changed {
		next := make(map[string]*svcState, len(services))
		for name, s := range services {
			next[name] = s.cur
		}
		c.snap.Store(&snapshot{services: next})
	}
	return added
}

// newService returns a service named name with the checks that apply to it,
// or nil when none does.
func (c *Checker) newService(name string) *service {
	key := strings.ToLower(name)
	if !strings.HasSuffix(key, ".") {
		key += "."
	}
	var probes []*probe
	for _, p := range c.probes {
		if p.appliesTo(key) {
			probes = append(probes, p)
		}
	}
	if len(probes) == 0 {
		return nil
	}
	return &service{name: name, probes: probes}
}

func (c *Checker) newTarget(p *probe, a netip.Addr) *target {
	t := &target{probe: p, addr: a, hidx: -1}
	if p.kind == HTTP {
		t.url = "http://" + netip.AddrPortFrom(a, p.port).String() + p.path
	}
	return t
}

// report applies the result of one check of t.
func (c *Checker) report(t *target, ok bool) {
	if !ok && c.cfg.Failed != nil {
		c.cfg.Failed(t.probe.kind)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.removed.Load() {
		return
	}
	was := t.down
	if ok {
		t.fails = 0
		t.passes = min(t.passes+1, c.cfg.Rise)
		if t.passes >= c.cfg.Rise {
			t.down = false
		}
	} else {
		t.passes = 0
		t.fails = min(t.fails+1, c.cfg.Fall)
		if t.fails >= c.cfg.Fall {
			t.down = true
		}
	}
	if t.down == was {
		return
	}
	for _, s := range t.services {
		if !s.dirty {
			s.dirty = true
			c.dirty = append(c.dirty, s)
		}
		if c.cfg.Changed != nil && !c.downByOther(s, t) {
			c.cfg.Changed(s.name, t.addr, !t.down)
		}
	}
	c.schedulePublish()
}

// downByOther reports whether another check of s has t's address down.
func (c *Checker) downByOther(s *service, t *target) bool {
	for _, p := range s.probes {
		if p != t.probe {
			if o := c.targets[targetKey{p.idx, t.addr}]; o != nil && o.down {
				return true
			}
		}
	}
	return false
}

// schedulePublish publishes the dirty services now, or when publishGap has
// passed since the last time, so that a burst of changes makes few
// snapshots. Called with mu held.
func (c *Checker) schedulePublish() {
	if len(c.dirty) == 0 || c.pubPending {
		return
	}
	wait := c.publishGap - time.Since(c.lastPub)
	if wait <= 0 {
		c.publishLocked()
		return
	}
	c.pubPending = true
	if c.pubTimer == nil {
		c.pubTimer = time.AfterFunc(wait, c.publishLater)
	} else {
		c.pubTimer.Reset(wait)
	}
}

func (c *Checker) publishLater() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pubPending {
		c.pubPending = false
		c.publishLocked()
	}
}

// publishLocked publishes a new snapshot with the dirty services' states,
// copying the old one. Called with mu held.
func (c *Checker) publishLocked() {
	c.lastPub = time.Now()
	changed := false
	for _, s := range c.dirty {
		s.dirty = false
		if c.services[s.name] != s {
			continue
		}
		if st := c.state(s); st != s.cur {
			s.cur, changed = st, true
		}
	}
	if !changed {
		clear(c.dirty)
		c.dirty = c.dirty[:0]
		return
	}
	next := maps.Clone(c.snap.Load().services)
	for _, s := range c.dirty {
		if c.services[s.name] == s {
			next[s.name] = s.cur
		}
	}
	clear(c.dirty)
	c.dirty = c.dirty[:0]
	c.snap.Store(&snapshot{services: next})
}

// state returns the state of s as its targets have it: s.cur when that is
// still right, else a new one. Called with mu held.
func (c *Checker) state(s *service) *svcState {
	down := c.scratch[:0]
	for _, t := range s.targets {
		if t.down {
			down = append(down, t.addr)
		}
	}
	slices.SortFunc(down, netip.Addr.Compare)
	down = slices.Compact(down)
	c.scratch = down[:0]
	old := s.cur
	var set *Set
	switch {
	case old != nil && old.down.equal(down):
		set = old.down
	case len(down) > 0:
		set = &Set{addrs: slices.Clone(down)}
	}
	if old != nil && old.down == set && old.members == s.members {
		return old
	}
	return &svcState{down: set, members: s.members}
}

// targetHeap is a min-heap of targets by due time.
type targetHeap []*target

func (h *targetHeap) push(t *target) {
	t.hidx = len(*h)
	*h = append(*h, t)
	h.up(t.hidx)
}

func (h *targetHeap) pop() *target {
	old := *h
	n := len(old) - 1
	t := old[0]
	old.swap(0, n)
	old[n] = nil
	*h = old[:n]
	if n > 0 {
		h.down(0)
	}
	t.hidx = -1
	return t
}

func (h targetHeap) fix(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

func (h targetHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].hidx, h[j].hidx = i, j
}

func (h targetHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h[i].due.Before(h[p].due) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

// down sifts i down and reports whether it moved.
func (h targetHeap) down(i int) bool {
	start, n := i, len(h)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && h[r].due.Before(h[l].due) {
			j = r
		}
		if !h[j].due.Before(h[i].due) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > start
}
