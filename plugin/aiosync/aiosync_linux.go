package aiosync

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// iocb and ioEvent are struct iocb and struct io_event of
// <linux/aio_abi.h>, on a little-endian machine (aio_key before
// aio_rw_flags).
type iocb struct {
	data     uint64
	key      uint32
	rwFlags  uint32
	opcode   uint16
	reqprio  int16
	fildes   uint32
	buf      uint64
	nbytes   uint64
	offset   int64
	reserved uint64
	flags    uint32
	resfd    uint32
}

type ioEvent struct {
	data uint64
	obj  uint64
	res  int64
	res2 int64
}

const (
	cmdFsync  = 2 // IOCB_CMD_FSYNC
	flagResfd = 1 // IOCB_FLAG_RESFD: count the completion on aio_resfd
	depth     = 256
)

// ring is the process's AIO context, the eventfd its completions go to and
// the fsyncs in flight.
type ring struct {
	ctx uintptr
	efd *os.File // non-blocking, so registered with the netpoller
	// resfd is efd's descriptor, for the iocbs. (*os.File).Fd would do
	// today, but it switches a descriptor Go made non-blocking to blocking.
	resfd uint32

	reapMu sync.Mutex // serialises collect, which owns events
	events []ioEvent

	mu      sync.Mutex
	next    uint64
	pending map[uint64]*request
	failed  error // set when the reaper stopped: every later Sync blocks
}

type request struct {
	cb   iocb // copied by the kernel in io_submit; its data field names this request
	done chan int64
}

var (
	shared = sync.OnceValue(open)
	// forceBlocking makes Sync call f.Sync; tests use it to run both paths.
	forceBlocking atomic.Bool
)

func open() *ring {
	if !littleEndian() {
		return nil
	}
	var ctx uintptr
	if _, _, e := unix.Syscall(unix.SYS_IO_SETUP, depth, uintptr(unsafe.Pointer(&ctx)), 0); e != 0 {
		return nil
	}
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Syscall(unix.SYS_IO_DESTROY, ctx, 0, 0)
		return nil
	}
	r := &ring{ctx: ctx, efd: os.NewFile(uintptr(fd), "aiosync-eventfd"), resfd: uint32(fd), events: make([]ioEvent, depth), pending: make(map[uint64]*request)}
	go r.reap()
	return r
}

func littleEndian() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}

// Async says whether Sync goes through AIO on this machine.
func Async() bool {
	r := shared()
	if r == nil || forceBlocking.Load() {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed == nil
}

// Sync makes f's data and metadata durable, as f.Sync does, and returns its
// error. The calling goroutine parks until the kernel is done; its thread
// and P go on with other goroutines.
func Sync(f *os.File) error {
	r := shared()
	if r == nil || forceBlocking.Load() {
		return f.Sync()
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return f.Sync()
	}
	var res error
	blocking := false
	// Control holds a reference to the descriptor: a concurrent Close
	// leaves it open (and its number unused) until the completion is in.
	if err := rc.Control(func(fd uintptr) { blocking, res = r.fsync(fd) }); err != nil || blocking {
		// A closed file (f.Sync says so as package os does), or a request
		// the kernel turned away.
		return f.Sync()
	}
	if res != nil {
		return &os.PathError{Op: "sync", Path: f.Name(), Err: res}
	}
	return nil
}

// fsync submits an fsync of fd and waits for it. blocking says the kernel
// would not take it: the caller must fsync itself.
func (r *ring) fsync(fd uintptr) (blocking bool, err error) {
	q := &request{done: make(chan int64, 1)}
	r.mu.Lock()
	if r.failed != nil {
		r.mu.Unlock()
		return true, nil
	}
	r.next++
	id := r.next
	r.pending[id] = q
	r.mu.Unlock()

	q.cb = iocb{data: id, opcode: cmdFsync, fildes: uint32(fd), flags: flagResfd, resfd: r.resfd}
	cbs := [1]*iocb{&q.cb}
	for {
		_, _, e := unix.Syscall(unix.SYS_IO_SUBMIT, r.ctx, 1, uintptr(unsafe.Pointer(&cbs[0])))
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			r.mu.Lock()
			delete(r.pending, id)
			r.mu.Unlock()
			// EAGAIN: the context is full; anything else: this file or
			// kernel does not do AIO fsync. Either way the blocking
			// fsync still works.
			return true, nil
		}
		break
	}
	// The eventfd wakes the reaper only when the runtime polls, and a P
	// kept busy by queries does not poll (sysmon does, every 10 ms); timers
	// still fire, so a wait longer than pollEvery collects for itself.
	t := time.NewTimer(pollEvery)
	defer t.Stop()
	for {
		select {
		case res := <-q.done:
			if res < 0 {
				return false, unix.Errno(-res)
			}
			return false, nil
		case <-t.C:
			if err := r.collect(); err != nil {
				r.stop(err)
			}
			t.Reset(pollEvery)
		}
	}
}

// pollEvery is how long an fsync waits for the reaper before it collects
// completions itself.
const pollEvery = time.Millisecond

// reap waits on the eventfd, through the netpoller, and hands each finished
// fsync its result.
func (r *ring) reap() {
	var count [8]byte
	for {
		if _, err := r.efd.Read(count[:]); err != nil {
			r.stop(fmt.Errorf("aiosync: eventfd: %w", err))
			return
		}
		if err := r.collect(); err != nil {
			r.stop(err)
			return
		}
	}
}

// collect takes the completions the kernel has, without waiting, and hands
// each to its fsync.
func (r *ring) collect() error {
	r.reapMu.Lock()
	defer r.reapMu.Unlock()
	zero := unix.Timespec{}
	for {
		n, _, e := unix.Syscall6(unix.SYS_IO_GETEVENTS, r.ctx, 0, depth,
			uintptr(unsafe.Pointer(&r.events[0])), uintptr(unsafe.Pointer(&zero)), 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return fmt.Errorf("aiosync: io_getevents: %w", e)
		}
		if n == 0 {
			return nil
		}
		r.mu.Lock()
		for _, ev := range r.events[:n] {
			if q := r.pending[ev.data]; q != nil {
				delete(r.pending, ev.data)
				q.done <- ev.res
			}
		}
		r.mu.Unlock()
	}
}

// stop fails every fsync in flight with EIO (whether it reached the disk is
// unknown) and sends later ones down the blocking path. It never happens on
// a working kernel; it keeps a waiter from hanging should it.
func (r *ring) stop(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = err
	for id, q := range r.pending {
		delete(r.pending, id)
		q.done <- -int64(unix.EIO)
	}
}
