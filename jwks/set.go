package jwks

import (
	"slices"
	"time"
)

// Set is an immutable snapshot of a provider's usable keys. The cache
// publishes a new Set on every change and never modifies a published one, so
// requests read it without locks.
type Set struct {
	byID    map[string]*Key
	keys    []*Key
	fetched time.Time
}

// NewSet returns a Set holding keys, confirmed by the provider at fetched.
// Keys with an empty ID are reachable only through [Set.Keys]. When two keys
// share an ID, the first wins.
func NewSet(keys []*Key, fetched time.Time) *Set {
	s := &Set{byID: make(map[string]*Key, len(keys)), keys: slices.Clone(keys), fetched: fetched}
	for _, k := range keys {
		if k.ID == "" {
			continue
		}
		if _, dup := s.byID[k.ID]; !dup {
			s.byID[k.ID] = k
		}
	}
	return s
}

// confirmedAt returns s as confirmed again at t, sharing its keys: a Set
// is immutable, so a 304 need not rebuild one.
func (s *Set) confirmedAt(t time.Time) *Set {
	return &Set{byID: s.byID, keys: s.keys, fetched: t}
}

// Lookup returns the key whose ID is kid. A nil Set holds no keys.
func (s *Set) Lookup(kid string) (*Key, bool) {
	if s == nil || kid == "" {
		return nil, false
	}
	k, ok := s.byID[kid]
	return k, ok
}

// Keys returns every key of the set. Callers must not modify the slice.
func (s *Set) Keys() []*Key {
	if s == nil {
		return nil
	}
	return s.keys
}

// Len returns the number of keys; zero for a nil Set.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.keys)
}

// Fetched returns when the provider last confirmed this key set (a fetch or
// a not-modified answer); the zero time for a nil Set.
func (s *Set) Fetched() time.Time {
	if s == nil {
		return time.Time{}
	}
	return s.fetched
}
