package etcdstore

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dyndns/dyndns/plugin/journal"
	"github.com/dyndns/dyndns/plugin/storage"
	"github.com/dyndns/dyndns/plugin/zone"
	"github.com/miekg/dns"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// Leases must end once, not once per replica, and one snapshot at a time
// is enough: per zone, the replica elected in etcd (concurrency.Election
// on PREFIX/.../leader) does both. Its session lives as long as it renews
// it; when that replica dies, the session's lease runs out (sessionTTL) and
// another replica takes over. Expiry commits through the log like any
// update, so a leader that lost its lead without knowing it can only
// commit what is still true.

// sessionTTL is how long a dead leader holds the lead, in seconds.
const sessionTTL = 5

// campaign runs for the lead until the store closes, and leads when elected.
func (s *Store) campaign() {
	id := fmt.Sprintf("%s-%d", hostname(), os.Getpid())
	for s.ctx.Err() == nil {
		sess, err := concurrency.NewSession(s.b.client, concurrency.WithTTL(sessionTTL), concurrency.WithContext(s.ctx))
		if err != nil {
			s.pause()
			continue
		}
		e := concurrency.NewElection(sess, s.keys.leader())
		if err := e.Campaign(s.ctx, id); err != nil {
			sess.Close()
			s.pause()
			continue
		}
		s.opts.Log("zone %s: this replica now expires leases and writes snapshots", s.zone.Origin())
		lead, stop := context.WithCancel(s.ctx)
		go func() {
			select {
			case <-sess.Done():
			case <-lead.Done():
			}
			stop()
		}()
		s.lead(lead)
		stop()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		e.Resign(ctx) // hand over now rather than after sessionTTL
		cancel()
		sess.Close()
	}
}

func (s *Store) pause() {
	select {
	case <-s.ctx.Done():
	case <-time.After(retryWatch):
	}
}

// lead expires leases and writes snapshots until ctx ends.
func (s *Store) lead(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		storage.RunExpiry(s.zone, ctx.Done(), s.Report, s.opts.Warn)
		close(done)
	}()
	defer func() { <-done }()
	tick := time.NewTicker(time.Duration(s.every.Load()))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.snap:
		}
		if err := s.Snapshot(ctx); err != nil && ctx.Err() == nil {
			s.opts.Warn("zone %s: snapshot to etcd failed, the log keeps every change: %v", s.zone.Origin(), err)
		}
	}
}

// grewBy counts n more bytes of log since the last snapshot, and asks for
// one past the size set (only the leading replica writes it).
func (s *Store) grewBy(n int) {
	if s.logBytes.Add(int64(n)) > s.maxBytes.Load() {
		s.kickSnapshot()
	}
}

func (s *Store) kickSnapshot() {
	select {
	case s.snap <- struct{}{}:
	default:
	}
}

// Snapshot writes the zone as of its head to etcd, in chunks, then points
// the snapshot key at it (only forward: a late, older snapshot never
// replaces a newer one), then deletes the previous snapshot and the log
// records that are both covered and older than the history kept.
func (s *Store) Snapshot(ctx context.Context) error {
	var v *zone.Version
	var at uint64
	s.zone.Locked(func(cur *zone.Version) { v, at = cur, s.head })
	cctx, cancel := context.WithTimeout(ctx, s.b.cfg.Timeout)
	defer cancel()
	r, err := s.b.client.Get(cctx, s.keys.snapshot())
	if err != nil || len(r.Kvs) == 0 {
		return fmt.Errorf("reading the snapshot key: %v", err)
	}
	prev, _, err := parseSnapshotValue(r.Kvs[0].Value)
	if err != nil || prev >= at {
		return err
	}
	e := journal.Entry{To: v.Serial()}
	err = v.WalkOwn(func(rr dns.RR) error {
		e.Add = append(e.Add, rr)
		if until := v.Lease(rr); until > 0 {
			e.Leases = append(e.Leases, journal.Lease{RR: rr, Until: until})
		}
		return nil
	})
	if err != nil {
		return err
	}
	payload, err := journal.AppendEntry(nil, &e)
	if err != nil {
		return err
	}
	n := 0
	for off := 0; off < len(payload) || n == 0; off += chunkSize {
		wctx, cancel := context.WithTimeout(ctx, s.b.cfg.Timeout)
		_, err := s.b.client.Put(wctx, s.keys.chunk(at, n), string(payload[off:min(off+chunkSize, len(payload))]))
		cancel()
		if err != nil {
			return err
		}
		n++
	}
	t, err := s.b.client.Txn(cctx).
		If(clientv3.Compare(clientv3.Value(s.keys.snapshot()), "<", index(at))).
		Then(clientv3.OpPut(s.keys.snapshot(), snapshotValue(at, n))).
		Commit()
	if err != nil || !t.Succeeded {
		s.b.client.Delete(cctx, s.keys.chunks(at), clientv3.WithPrefix())
		return err
	}
	s.logBytes.Store(0)
	s.b.client.Delete(cctx, s.keys.chunks(prev), clientv3.WithPrefix())
	if keep := uint64(s.history.Load()); at > keep {
		s.b.client.Delete(cctx, s.keys.log(0), clientv3.WithRange(s.keys.log(at-keep)))
	}
	s.opts.Log("zone %s: snapshot to etcd at serial %d (log record %d), %d records, %d bytes",
		v.Origin(), v.Serial(), at, v.Records(), len(payload))
	return nil
}

// snapshotValue is the snapshot key's value: "INDEX CHUNKS".
func snapshotValue(at uint64, chunks int) string { return index(at) + " " + strconv.Itoa(chunks) }

func parseSnapshotValue(v []byte) (uint64, int, error) {
	f := strings.Fields(string(v))
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("snapshot key %q", v)
	}
	at, err := strconv.ParseUint(f[0], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("snapshot key %q", v)
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 1 {
		return 0, 0, fmt.Errorf("snapshot key %q", v)
	}
	return at, n, nil
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}
