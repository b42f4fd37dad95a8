package zone

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// within fails the test when fn does not return in time: a writer lock left
// held makes every later update hang.
func within(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return within %v", what, d)
	}
}

func addTXT(t *testing.T, name string) func(*Txn) error {
	rr := mustRR(t, name+` 60 IN TXT "x"`)
	return func(tx *Txn) error {
		tx.Set(name, dns.TypeTXT, []dns.RR{rr})
		return nil
	}
}

func TestPanicInUpdateFailsOnlyThatUpdate(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	before := z.Current()
	var err error
	within(t, 5*time.Second, "an update that panics", func() {
		_, _, err = z.Update(func(tx *Txn) error {
			tx.Set("half.example.org.", dns.TypeTXT, []dns.RR{mustRR(t, `half.example.org. 60 IN TXT "x"`)})
			panic("boom")
		})
	})
	if !errors.Is(err, ErrPanic) {
		t.Fatalf("update that panicked returned %v, want ErrPanic", err)
	}
	if z.Current() != before {
		t.Fatal("a panicking update changed the zone")
	}
	within(t, 5*time.Second, "the update after a panic", func() {
		_, _, err = z.Update(addTXT(t, "after.example.org."))
	})
	if err != nil || z.Current().Node("after.example.org.") == nil {
		t.Fatalf("update after a panic: %v", err)
	}
}

// A panic in one update of a batch fails that update only; the others of
// the batch commit.
func TestPanicInBatchSparesTheOthers(t *testing.T) {
	onEachProcs(t, testPanicInBatchSparesTheOthers) // one P: the turn is given back
}

func testPanicInBatchSparesTheOthers(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	release, held := make(chan struct{}), make(chan struct{})
	go z.Update(func(*Txn) error { close(held); <-release; return nil })
	<-held // the writer is busy; what comes now waits in the queue

	names := []string{"a.example.org.", "b.example.org.", "c.example.org."}
	errs, panics := make([]error, len(names)), make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() { defer wg.Done(); _, _, errs[i] = z.Update(addTXT(t, name)) }()
		waitQueued(t, z, 2*i+1)
		wg.Add(1)
		go func() { defer wg.Done(); _, _, panics[i] = z.Update(func(*Txn) error { panic(i) }) }()
		waitQueued(t, z, 2*i+2)
	}
	close(release)
	within(t, 5*time.Second, "the batch", wg.Wait)
	for i, name := range names {
		if errs[i] != nil || z.Current().Node(name) == nil {
			t.Errorf("%s: %v, or missing after its batch", name, errs[i])
		}
	}
	for _, err := range panics {
		if !errors.Is(err, ErrPanic) {
			t.Errorf("panicking update: %v", err)
		}
	}
}

// waitQueued waits until n updates wait behind the writer.
func waitQueued(t *testing.T, z *Zone, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for z.Queued() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d updates queued, want %d", z.Queued(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestQueueLimit(t *testing.T) {
	z := load(t, "example.org.", seedZone)
	z.SetQueueLimit(2)
	release, held := make(chan struct{}), make(chan struct{})
	go z.Update(func(*Txn) error { close(held); <-release; return nil })
	<-held // the writer is busy; what comes now waits in the queue

	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, name := range []string{"q1.example.org.", "q2.example.org."} {
		wg.Add(1)
		go func() { defer wg.Done(); _, _, errs[i] = z.Update(addTXT(t, name)) }()
		waitQueued(t, z, i+1)
	}
	var err error
	within(t, time.Second, "an update past the queue limit", func() {
		_, _, err = z.Update(addTXT(t, "q3.example.org."))
	})
	if !errors.Is(err, ErrOverloaded) {
		t.Fatalf("update past the limit: %v, want ErrOverloaded", err)
	}
	close(release)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("queued update %d: %v", i, err)
		}
	}
	if z.Current().Node("q3.example.org.") != nil {
		t.Error("the refused update was applied")
	}
}
