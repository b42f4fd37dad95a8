package zone

import (
	"slices"
	"strings"
	"unsafe"
)

// tree is a persistent ordered map from keys (key.go: their byte order is
// DNS canonical order) to values: a copy-on-write B+tree. A version holds
// one and never changes it. A transaction clones it in O(1); its writes copy
// the nodes on their paths once, then change those copies in place, so
// readers of the version it came from never see them and never wait.
//
// It replaced hashicorp/go-immutable-radix, which allocates two channels, a
// node and a leaf for every key (about 330 bytes a name, a third of a
// 100,000-host zone's heap) so that watchers can be told of changes: dyndns
// has none. google/btree's copy-on-write BTreeG was the next candidate, but
// its lookups call the ordering through a closure, so a key built on the
// stack escapes and every query allocated. Here a key costs its string and
// a slot in a shared node: about 30 bytes beside the key's own bytes.
type tree[V any] struct {
	root  *treeNode[V]
	n     int
	owner *treeOwner // nodes it may change in place; nil: read-only
}

// treeNode is a leaf (kids nil: keys and their vals) or an inner node: for
// i > 0, keys[i] is at or below every key under kids[i] and above every key
// under kids[i-1]; keys[0] is never read (it keeps kids and keys aligned).
// Every slice has room for treeMax entries, so a node never regrows them.
//
// A copy shares its original's keys until it changes them (shared): most
// copies only change a value (a name's new node) or a child (the path to
// it), so a path copy costs the values and children, not the keys too.
type treeNode[V any] struct {
	keys   []string
	vals   []V
	kids   []*treeNode[V]
	owner  *treeOwner
	shared bool // keys is another node's array
}

// treeOwner marks the nodes one transaction made. It has a size so that two
// owners never share an address.
type treeOwner struct{ _ byte }

const (
	// treeMax entries per node: a 100,000-name tree is four levels deep
	// and a path copy costs a kilobyte or so (a node's values or children,
	// 8 bytes each, beside the keys it shares). 64 made no lookup faster
	// and its copies were 1.6 times as large.
	treeMax = 32
	// A node below treeMin entries joins a sibling when both fit in one.
	treeMin = treeMax / 4
)

func newTree[V any]() tree[V] { return tree[V]{} }

// clone returns a tree a transaction may change.
func (t tree[V]) clone() tree[V] { return tree[V]{root: t.root, n: t.n, owner: new(treeOwner)} }

// frozen returns t read-only, for a version to publish.
func (t tree[V]) frozen() tree[V] { return tree[V]{root: t.root, n: t.n} }

// Len is the number of keys.
func (t tree[V]) Len() int { return t.n }

// get returns the value of key. It neither allocates nor keeps key.
func (t tree[V]) get(key string) (v V, ok bool) {
	n := t.root
	if n == nil {
		return v, false
	}
	for n.kids != nil {
		n = n.kids[childIndex(n.keys, key)]
	}
	if i, found := leafIndex(n.keys, key); found {
		return n.vals[i], true
	}
	return v, false
}

// set stores v under key and reports whether the key was there. A new key
// is copied, so key may be a probe.
func (t *tree[V]) set(key string, v V) (existed bool) {
	if t.owner == nil {
		panic("zone: write to a read-only tree")
	}
	if t.root == nil {
		t.root = t.newNode(true)
	}
	t.root = t.mutable(t.root)
	split, existed := t.put(t.root, key, v)
	if split != nil {
		root := t.newNode(false)
		root.keys = append(root.keys, t.root.keys[0], split.keys[0])
		root.kids = append(root.kids, t.root, split)
		t.root = root
	}
	if !existed {
		t.n++
	}
	return existed
}

// delete removes key and reports whether it was there.
func (t *tree[V]) delete(key string) bool {
	if t.owner == nil {
		panic("zone: write to a read-only tree")
	}
	if _, ok := t.get(key); !ok {
		return false // nothing to copy
	}
	t.root = t.mutable(t.root)
	t.remove(t.root, key)
	t.n--
	switch {
	case len(t.root.keys) == 0:
		t.root = nil
	case t.root.kids != nil && len(t.root.kids) == 1:
		t.root = t.root.kids[0]
	}
	return true
}

// walk calls fn for every key in order until fn returns false.
func (t tree[V]) walk(fn func(key string, v V) bool) {
	if t.root != nil {
		t.root.walk(fn)
	}
}

func (n *treeNode[V]) walk(fn func(string, V) bool) bool {
	if n.kids == nil {
		for i, k := range n.keys {
			if !fn(k, n.vals[i]) {
				return false
			}
		}
		return true
	}
	for _, c := range n.kids {
		if !c.walk(fn) {
			return false
		}
	}
	return true
}

// put stores v under key below n, which t may change, and returns the node
// split off n when n was full.
func (t *tree[V]) put(n *treeNode[V], key string, v V) (split *treeNode[V], existed bool) {
	if n.kids == nil {
		i, found := leafIndex(n.keys, key)
		if found {
			n.vals[i] = v
			return nil, true
		}
		return t.add(n, i, strings.Clone(key), v, nil), false
	}
	i := childIndex(n.keys, key)
	c := t.mutable(n.kids[i])
	n.kids[i] = c
	below, existed := t.put(c, key, v)
	if below == nil {
		return nil, existed
	}
	var none V
	return t.add(n, i+1, below.keys[0], none, below), existed
}

// add inserts key with val (a leaf) or kid (an inner node) at index i of n,
// splitting n first when it is full; it returns the node split off. A full
// node that gets a key at its end stays full and the key starts the new
// node: a zone file or snapshot in canonical order then loads into full
// nodes, where halves would leave every node half empty.
func (t *tree[V]) add(n *treeNode[V], i int, key string, val V, kid *treeNode[V]) (split *treeNode[V]) {
	n.ownKeys()
	if len(n.keys) == treeMax {
		split = t.newNode(n.kids == nil)
		half := treeMax / 2
		if i == treeMax {
			half = treeMax
		}
		split.keys = append(split.keys, n.keys[half:]...)
		clear(n.keys[half:])
		n.keys = n.keys[:half]
		if n.kids == nil {
			split.vals = append(split.vals, n.vals[half:]...)
			clear(n.vals[half:])
			n.vals = n.vals[:half]
		} else {
			split.kids = append(split.kids, n.kids[half:]...)
			clear(n.kids[half:])
			n.kids = n.kids[:half]
		}
		if i > half || half == treeMax {
			n, i = split, i-half
		}
	}
	n.keys = slices.Insert(n.keys, i, key)
	if kid != nil {
		n.kids = slices.Insert(n.kids, i, kid)
	} else {
		n.vals = slices.Insert(n.vals, i, val)
	}
	return split
}

// remove deletes key, which is there, below n, which t may change.
func (t *tree[V]) remove(n *treeNode[V], key string) {
	if n.kids == nil {
		i, _ := leafIndex(n.keys, key)
		n.ownKeys()
		n.keys = slices.Delete(n.keys, i, i+1)
		n.vals = slices.Delete(n.vals, i, i+1)
		return
	}
	i := childIndex(n.keys, key)
	c := t.mutable(n.kids[i])
	n.kids[i] = c
	t.remove(c, key)
	switch {
	case len(c.keys) == 0:
		n.ownKeys()
		n.keys = slices.Delete(n.keys, i, i+1)
		n.kids = slices.Delete(n.kids, i, i+1)
	case len(c.keys) < treeMin && i+1 < len(n.kids):
		t.join(n, i)
	case len(c.keys) < treeMin && i > 0:
		t.join(n, i-1)
	}
}

// join merges kids i and i+1 of n when their entries fit in one node. A
// node left small beside a full sibling stays as it is: nodes average at
// least a third full whatever is deleted.
func (t *tree[V]) join(n *treeNode[V], i int) {
	l, r := n.kids[i], n.kids[i+1]
	if len(l.keys)+len(r.keys) > treeMax {
		return
	}
	l = t.mutable(l)
	n.kids[i] = l
	l.ownKeys()
	n.ownKeys()
	if l.kids == nil {
		l.keys = append(l.keys, r.keys...)
		l.vals = append(l.vals, r.vals...)
	} else {
		// r's first child is bounded by n's key for r (r.keys[0] is unused).
		l.keys = append(append(l.keys, n.keys[i+1]), r.keys[1:]...)
		l.kids = append(l.kids, r.kids...)
	}
	n.keys = slices.Delete(n.keys, i+1, i+2)
	n.kids = slices.Delete(n.kids, i+1, i+2)
}

// mutable returns n, or a copy t may change when another owner made it.
func (t *tree[V]) mutable(n *treeNode[V]) *treeNode[V] {
	if n.owner == t.owner {
		return n
	}
	c := &treeNode[V]{keys: n.keys, owner: t.owner, shared: true}
	if n.kids == nil {
		c.vals = append(make([]V, 0, treeMax), n.vals...)
	} else {
		c.kids = append(make([]*treeNode[V], 0, treeMax), n.kids...)
	}
	return c
}

// ownKeys gives n an array of keys of its own before they change.
func (n *treeNode[V]) ownKeys() {
	if n.shared {
		n.keys, n.shared = append(make([]string, 0, treeMax), n.keys...), false
	}
}

func (t *tree[V]) newNode(leaf bool) *treeNode[V] {
	n := &treeNode[V]{keys: make([]string, 0, treeMax), owner: t.owner}
	if leaf {
		n.vals = make([]V, 0, treeMax)
	} else {
		n.kids = make([]*treeNode[V], 0, treeMax)
	}
	return n
}

// leafIndex returns the index of the first key at or after key, and
// whether it is key.
func leafIndex(keys []string, key string) (int, bool) {
	lo, hi := 0, len(keys)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if keys[m] < key {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(keys) && keys[lo] == key
}

// childIndex returns the index of the child of an inner node whose keys
// may hold key: the last whose lower bound is at or below key (the first
// when none is).
func childIndex(keys []string, key string) int {
	lo, hi := 1, len(keys)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if keys[m] <= key {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo - 1
}

// probe views key, a buffer the caller leaves unchanged during the call, as
// a string without copying it: a lookup must not allocate. The tree never
// keeps a probe (set copies new keys).
func probe(key []byte) string {
	if len(key) == 0 {
		return ""
	}
	return unsafe.String(&key[0], len(key))
}
