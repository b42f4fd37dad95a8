package journal

import (
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"
	"sync"
	"sync/atomic"
)

// ErrClosed is returned by operations on a closed Journal.
var ErrClosed = errors.New("journal closed")

// Options configures Open.
type Options struct {
	// Warnf reports recoverable problems, such as a dropped torn tail.
	// nil means log.Printf.
	Warnf func(format string, args ...any)
	// FS is the file system to use; nil means OS.
	FS FS
}

// Journal is an open journal file. Its methods are safe for concurrent use.
type Journal struct {
	path  string
	fs    FS
	warnf func(string, ...any)

	// mu guards the queue: what Enqueue hands the committer.
	mu      sync.Mutex
	wake    *sync.Cond // the committer waits here for work or close
	cur     *batch     // records not yet taken by the committer
	spare   []byte     // a drained batch buffer, kept to avoid reallocating
	failErr error      // non-nil: failed until Recover
	closed  bool

	// fileMu guards the file and what is known to be durable in it. The
	// committer holds it around write+fsync; Compact, Recover and Replay
	// hold it to see a stable file. Lock order: fileMu before mu.
	fileMu sync.Mutex
	f      File
	base   uint64    // LSN of the file's first record, less one
	index  []recInfo // one per durable record, in file order
	// dirSyncErr is set when Compact renamed a new file into place but
	// could not fsync the directory: a crash could bring back the old
	// file, so nothing may be committed to the new one until Recover.
	dirSyncErr error

	size    atomic.Int64 // durable bytes: the file's valid length
	records atomic.Uint64
	syncs   atomic.Uint64
	stopped chan struct{} // closed when the committer exits
}

// recInfo locates one record in the file for Compact.
type recInfo struct {
	off, len int64
	to       uint32
}

// Open opens the journal at path, creating it (atomically, with the
// directory fsynced) if it does not exist. The containing directory must
// exist. It validates every record, drops a torn tail with a warning, and
// returns a *CorruptError for any other damage and an error wrapping
// ErrUnsupportedVersion for a newer format. Call Replay before appending.
func Open(path string, opts Options) (*Journal, error) {
	j := &Journal{path: path, fs: opts.FS, warnf: opts.Warnf, stopped: make(chan struct{})}
	if j.fs == nil {
		j.fs = OS{}
	}
	if j.warnf == nil {
		j.warnf = log.Printf
	}
	j.wake = sync.NewCond(&j.mu)

	f, err := j.fs.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		var renamed bool
		f, renamed, err = replaceFile(j.fs, path, func(w File) error {
			_, err := w.WriteAt(fileHeader(0), 0)
			return err
		})
		if renamed && err != nil {
			f.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	if err := j.load(f); err != nil {
		f.Close()
		return nil, err
	}
	j.f = f
	// A crash during Compact can leave its temp file behind.
	if err := j.fs.Remove(tempPath(path)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		j.warnf("journal %s: removing stale %s: %v", path, tempPath(path), err)
	}
	go j.run()
	return j, nil
}

// load validates f, builds the index and cuts off a torn tail.
func (j *Journal) load(f File) error {
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	res, err := scan(f, st.Size(), j.path, func(off int64, p []byte) error {
		e, err := decodePayload(p)
		if err != nil {
			return &CorruptError{Path: j.path, Offset: off, Reason: err.Error()}
		}
		j.index = append(j.index, recInfo{off: off, len: frameSize + int64(len(p)), to: e.To})
		return nil
	})
	if err != nil {
		return err
	}
	j.base = res.base
	if res.v1 {
		// Records appended from now on are version 2's: say so first.
		if _, err := f.WriteAt(fileHeader(0), 0); err != nil {
			return fmt.Errorf("journal %s: upgrading the header: %w", j.path, err)
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("journal %s: %w", j.path, err)
		}
	}
	if res.torn == "" {
		j.size.Store(res.good)
		return nil
	}
	j.warnf("journal %s: dropping torn write at offset %d (%d bytes, never acknowledged): %s",
		j.path, res.good, st.Size()-res.good, res.torn)
	if res.tornHeader {
		if _, err := f.WriteAt(fileHeader(0), 0); err != nil {
			return fmt.Errorf("journal %s: rewriting header: %w", j.path, err)
		}
		res.good = headerSize
	}
	if err := f.Truncate(res.good); err != nil {
		return fmt.Errorf("journal %s: truncating torn tail: %w", j.path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	j.size.Store(res.good)
	return nil
}

// Replay calls fn with every durable entry in file order, its LSN set. It is meant to be
// called once after Open, before appending; it blocks commits while it
// runs, so fn must not wait for an append. An error from fn stops Replay
// and is returned unchanged.
//
// The journal does not check that entries chain (each From equal to the
// previous To) or relate to a snapshot; that is the caller's to verify.
func (j *Journal) Replay(fn func(Entry) error) error {
	j.fileMu.Lock()
	defer j.fileMu.Unlock()
	if j.isClosed() {
		return ErrClosed
	}
	lsn := j.base
	_, err := scan(j.f, j.size.Load(), j.path, func(off int64, p []byte) error {
		e, err := decodePayload(p)
		if err != nil {
			return &CorruptError{Path: j.path, Offset: off, Reason: err.Error()}
		}
		lsn++
		e.LSN = lsn
		return fn(e)
	})
	return err
}

// LastLSN returns the LSN of the last durable record: every record ever
// made durable in this journal, compacted or not, has an LSN at or below it.
func (j *Journal) LastLSN() uint64 {
	j.fileMu.Lock()
	defer j.fileMu.Unlock()
	return j.base + uint64(len(j.index))
}

// Rebase makes an empty journal's next record LSN base+1, so that it
// continues a snapshot that covers LSNs up to base (the journal was removed
// or replaced by hand). It fails on a journal that holds records.
func (j *Journal) Rebase(base uint64) error {
	j.fileMu.Lock()
	defer j.fileMu.Unlock()
	if len(j.index) > 0 {
		return fmt.Errorf("journal %s: rebase of a journal that holds %d records", j.path, len(j.index))
	}
	if base > maxBase {
		return fmt.Errorf("journal %s: base %d does not fit the header", j.path, base)
	}
	if _, err := j.f.WriteAt(fileHeader(base), 0); err != nil {
		return fmt.Errorf("journal %s: rebase: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal %s: rebase: %w", j.path, err)
	}
	j.base = base
	return nil
}

// Path returns the journal's file name.
func (j *Journal) Path() string { return j.path }

// Size returns the number of bytes durable in the journal file, header
// included; it is what a snapshot trigger should compare against.
func (j *Journal) Size() int64 { return j.size.Load() }

// Stats counts the journal's work since Open.
type Stats struct {
	Records uint64 // records made durable
	Syncs   uint64 // fsyncs that made them durable (one per group commit)
}

// Stats returns counters for measuring group commit: Syncs/Records is the
// fsyncs paid per update.
func (j *Journal) Stats() Stats {
	return Stats{Records: j.records.Load(), Syncs: j.syncs.Load()}
}

// Close commits everything enqueued, stops the committer and closes the
// file. It returns the journal's failure, if it is in the failed state, so
// a caller learns that some enqueued records were not made durable.
func (j *Journal) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return ErrClosed
	}
	j.closed = true
	j.wake.Signal()
	j.mu.Unlock()
	<-j.stopped

	j.fileMu.Lock()
	defer j.fileMu.Unlock()
	j.mu.Lock()
	err := j.failErr
	j.mu.Unlock()
	if cerr := j.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("journal %s: %w", j.path, cerr)
	}
	return err
}

func (j *Journal) isClosed() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.closed
}
