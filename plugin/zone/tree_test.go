package zone

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestTreeAgainstAMap runs random sets and deletes on a tree and on a map,
// cloning the tree now and then as transactions do: every clone must go on
// holding what it held when it was frozen, and the tree must stay a valid
// B+tree whose walk is the map's keys in order.
func TestTreeAgainstAMap(t *testing.T) {
	for _, keys := range []int{10, 300, 5000} {
		t.Run(fmt.Sprint(keys), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(keys)))
			type frozen struct {
				tree tree[int]
				want map[string]int
			}
			var versions []frozen
			tr, want := newTree[int]().clone(), map[string]int{}
			for step := range 40 * keys {
				k := fmt.Sprintf("k%d", rng.IntN(keys))
				switch {
				case rng.IntN(10) < 6:
					_, had := want[k]
					if existed := tr.set(k, step); existed != had {
						t.Fatalf("set %s: existed %v, want %v", k, existed, had)
					}
					want[k] = step
				default:
					_, had := want[k]
					if gone := tr.delete(k); gone != had {
						t.Fatalf("delete %s: %v, want %v", k, gone, had)
					}
					delete(want, k)
				}
				if rng.IntN(keys) == 0 {
					versions = append(versions, frozen{tr.frozen(), maps.Clone(want)})
					tr = tr.frozen().clone()
				}
			}
			versions = append(versions, frozen{tr.frozen(), want})
			for i, v := range versions {
				checkTree(t, v.tree, v.want, fmt.Sprintf("version %d", i))
			}
		})
	}
}

func checkTree(t *testing.T, tr tree[int], want map[string]int, what string) {
	t.Helper()
	if tr.Len() != len(want) {
		t.Fatalf("%s: Len %d, want %d", what, tr.Len(), len(want))
	}
	var got []string
	tr.walk(func(k string, v int) bool {
		if want[k] != v {
			t.Fatalf("%s: %s = %d, want %d", what, k, v, want[k])
		}
		got = append(got, k)
		return true
	})
	if w := slices.Sorted(maps.Keys(want)); !slices.Equal(got, w) {
		t.Fatalf("%s: walk gave %d keys out of order or wrong, want %d", what, len(got), len(w))
	}
	for k, v := range want {
		if g, ok := tr.get(k); !ok || g != v {
			t.Fatalf("%s: get %s = %d %v, want %d", what, k, g, ok, v)
		}
	}
	if _, ok := tr.get("absent"); ok {
		t.Fatalf("%s: get of an absent key found it", what)
	}
	if tr.root != nil {
		checkNode(t, tr.root, what)
	}
}

// checkNode checks the B+tree invariants below n (entries within bounds,
// sorted keys, inner keys that split their children) and returns the
// smallest and largest key below it.
func checkNode(t *testing.T, n *treeNode[int], what string) (lo, hi string) {
	t.Helper()
	if len(n.keys) == 0 || len(n.keys) > treeMax {
		t.Fatalf("%s: node of %d keys", what, len(n.keys))
	}
	if n.kids == nil {
		if len(n.vals) != len(n.keys) || !slices.IsSorted(n.keys) {
			t.Fatalf("%s: leaf of %d keys and %d values, or out of order", what, len(n.keys), len(n.vals))
		}
		return n.keys[0], n.keys[len(n.keys)-1]
	}
	if len(n.kids) != len(n.keys) || !slices.IsSorted(n.keys[1:]) {
		t.Fatalf("%s: %d children for %d keys, or keys out of order", what, len(n.kids), len(n.keys))
	}
	for i, c := range n.kids {
		clo, chi := checkNode(t, c, what)
		if i > 0 && (clo < n.keys[i] || hi >= n.keys[i]) {
			t.Fatalf("%s: key %q does not split %q and %q", what, n.keys[i], hi, clo)
		}
		if i == 0 {
			lo = clo
		}
		hi = chi
	}
	return lo, hi
}

// Keys set in order fill nodes (the shape of a canonical zone file or a
// snapshot), and the tree stays valid as they go again.
func TestTreeInOrder(t *testing.T) {
	tr, want := newTree[int]().clone(), map[string]int{}
	for i := range 10_000 {
		k := fmt.Sprintf("k%06d", i)
		tr.set(k, i)
		want[k] = i
	}
	checkTree(t, tr, want, "loaded in order")
	leaves, full := 0, 0
	var count func(n *treeNode[int])
	count = func(n *treeNode[int]) {
		if n.kids == nil {
			leaves++
			if len(n.keys) == treeMax {
				full++
			}
		}
		for _, c := range n.kids {
			count(c)
		}
	}
	count(tr.root)
	if full < leaves-1 {
		t.Errorf("%d of %d leaves full after a load in order", full, leaves)
	}
	for i := range 10_000 {
		if i%3 != 0 {
			k := fmt.Sprintf("k%06d", i)
			tr.delete(k)
			delete(want, k)
		}
	}
	checkTree(t, tr, want, "two thirds deleted")
}

// A published tree refuses writes: a version is never changed.
func TestFrozenTreeRefusesWrites(t *testing.T) {
	tr := newTree[int]().clone()
	tr.set("a", 1)
	v := tr.frozen()
	defer func() {
		if recover() == nil {
			t.Error("a write to a frozen tree did not panic")
		}
	}()
	v.set("b", 2)
}

// A lookup with a key built on the stack allocates nothing.
func TestTreeGetDoesNotAllocate(t *testing.T) {
	tr := newTree[int]().clone()
	for i := range 1000 {
		tr.set(fmt.Sprintf("key%d", i), i)
	}
	if n := testing.AllocsPerRun(100, func() {
		var buf [16]byte
		key := append(buf[:0], "key500"...)
		if v, ok := tr.get(probe(key)); !ok || v != 500 {
			t.Fatal("key500 not found")
		}
	}); n != 0 {
		t.Errorf("%v allocations per lookup", n)
	}
}
