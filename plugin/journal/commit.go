package journal

import (
	"errors"
	"fmt"
)

// ErrFailed is wrapped by every error caused by a failed write or fsync:
// the journal refuses new records until Recover succeeds.
var ErrFailed = errors.New("journal failed")

// failedError carries both ErrFailed and the I/O error behind it, so
// callers can test for either (errors.Is(err, syscall.ENOSPC) works).
type failedError struct {
	path  string
	cause error
}

func (e *failedError) Error() string {
	return fmt.Sprintf("journal %s: %v (journal failed; Recover to continue)", e.path, e.cause)
}

func (e *failedError) Unwrap() []error { return []error{ErrFailed, e.cause} }

// batch is the group of records one write+fsync commits. Tickets point at
// their batch, so a batch is never reused; only its buffer is.
type batch struct {
	buf  []byte
	recs []recInfo // offsets relative to the batch start
	done chan struct{}
	err  error // set before done is closed
}

// Ticket identifies an enqueued record; pass it to Wait.
type Ticket struct{ b *batch }

// Enqueue encodes the entries and queues them for the committer, without
// waiting for any I/O. Records reach the file in Enqueue order, and the
// entries of one call go into one batch: one write and one fsync make them
// all durable or, on failure, none of them. They are fully encoded before
// Enqueue returns and their RRs are only read, so they may be shared with
// readers and reused afterwards. It fails at once if the journal is closed
// or failed (the error wraps ErrFailed and the I/O error), or if an entry
// cannot be encoded (then none is queued, and the journal does not fail).
func (j *Journal) Enqueue(es ...Entry) (Ticket, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return Ticket{}, ErrClosed
	}
	if j.failErr != nil {
		return Ticket{}, j.failErr
	}
	b := j.cur
	if b == nil {
		b = &batch{buf: j.spare[:0], done: make(chan struct{})}
		j.spare = nil
	}
	start, nrecs := len(b.buf), len(b.recs)
	buf := b.buf
	for i := range es {
		off := len(buf)
		var err error
		if buf, err = appendRecord(buf, &es[i]); err != nil {
			// Drop this call's records; the buffer keeps any growth.
			b.buf, b.recs = buf[:start], b.recs[:nrecs]
			if j.cur == nil {
				j.spare = b.buf
			}
			return Ticket{}, fmt.Errorf("journal %s: %w", j.path, err)
		}
		b.recs = append(b.recs, recInfo{off: int64(off), len: int64(len(buf) - off), to: es[i].To})
	}
	b.buf = buf
	if j.cur == nil {
		j.cur = b
		j.wake.Signal()
	}
	return Ticket{b: b}, nil
}

// Wait blocks until the record of t and every record enqueued before it
// are durable, or returns the error that prevented it.
func (j *Journal) Wait(t Ticket) error {
	if t.b == nil {
		return errors.New("journal: Wait on a zero Ticket")
	}
	<-t.b.done
	return t.b.err
}

// Append enqueues e and waits for it to be durable.
func (j *Journal) Append(e Entry) error {
	t, err := j.Enqueue(e)
	if err != nil {
		return err
	}
	return j.Wait(t)
}

// run is the committer: it takes everything queued, writes it with one
// call, fsyncs once and wakes the waiters, until Close drains the queue.
// While it is in write or fsync, new records collect in the next batch.
func (j *Journal) run() {
	defer close(j.stopped)
	for {
		j.mu.Lock()
		for j.cur == nil && !j.closed {
			j.wake.Wait()
		}
		b := j.cur
		j.cur = nil
		j.mu.Unlock()
		if b == nil {
			return // closed and drained
		}

		err := j.commit(b)

		j.mu.Lock()
		if err != nil {
			err = &failedError{path: j.path, cause: err}
			j.failErr = err
			// Records queued behind a failed batch must not land after
			// the gap it leaves, so they fail too.
			if next := j.cur; next != nil {
				j.cur = nil
				next.err = err
				close(next.done)
			}
		} else if j.spare == nil && cap(b.buf) <= 1<<20 {
			j.spare = b.buf[:0]
		}
		j.mu.Unlock()
		b.err = err
		b.buf = nil
		close(b.done)
	}
}

// commit writes and fsyncs b at the end of the durable data.
func (j *Journal) commit(b *batch) error {
	j.fileMu.Lock()
	defer j.fileMu.Unlock()
	if j.dirSyncErr != nil {
		return j.dirSyncErr
	}
	off := j.size.Load()
	if _, err := j.f.WriteAt(b.buf, off); err != nil {
		return err
	}
	if err := j.f.Sync(); err != nil {
		return err
	}
	for _, r := range b.recs {
		r.off += off
		j.index = append(j.index, r)
	}
	j.size.Store(off + int64(len(b.buf)))
	j.records.Add(uint64(len(b.recs)))
	j.syncs.Add(1)
	return nil
}

// Recover clears the failed state after a write or fsync failure: it cuts
// the file back to the last durable offset (and finishes a directory fsync
// that Compact could not), so later Enqueues work again. Records that
// failed stay failed; the caller must not consider them committed. It is a
// no-op on a journal that has not failed, and can be retried.
func (j *Journal) Recover() error {
	j.fileMu.Lock()
	defer j.fileMu.Unlock()
	j.mu.Lock()
	closed, failed := j.closed, j.failErr != nil
	j.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if !failed && j.dirSyncErr == nil {
		return nil
	}
	if j.dirSyncErr != nil {
		if err := j.fs.SyncDir(dirOf(j.path)); err != nil {
			return fmt.Errorf("journal %s: recover: %w", j.path, err)
		}
		j.dirSyncErr = nil
	}
	// The failed write may have put part of the batch in the file, and
	// after a failed fsync the kernel's view of those pages is unknown, so
	// drop everything past the durable end and make the new size durable.
	if err := j.f.Truncate(j.size.Load()); err != nil {
		return fmt.Errorf("journal %s: recover: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal %s: recover: %w", j.path, err)
	}
	j.mu.Lock()
	j.failErr = nil
	j.mu.Unlock()
	return nil
}
