package jwks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/extauthz/extauthz/metrics"
)

// Errors returned by [Cache.Get].
var (
	// ErrUnknownKey: the provider's current keys hold no key with the asked
	// id, and no refresh may be made now (rate limit) or the refresh did not
	// bring it.
	ErrUnknownKey = errors.New("jwks: unknown key id")
	// ErrKeysUnavailable: the cache has no usable keys (none fetched yet, or
	// too stale), or the wait for a fetch ran out before it ended.
	ErrKeysUnavailable = errors.New("jwks: keys unavailable")
)

// Defaults of the zero fields of [Config].
const (
	DefaultRefreshInterval    = 10 * time.Minute
	DefaultMinRefreshInterval = 5 * time.Second
	DefaultMaxWait            = time.Second
	DefaultFetchTimeout       = 5 * time.Second
	DefaultMaxStale           = 24 * time.Hour
	DefaultMinCacheTTL        = time.Minute
	DefaultMaxCacheTTL        = 24 * time.Hour
	DefaultBackoffInitial     = time.Second
	DefaultBackoffMax         = 5 * time.Minute
	DefaultMaxResponseBytes   = 1 << 20
	DefaultMaxKeys            = 100
	DefaultMaxRedirects       = 3
)

// Config configures one provider's [Cache]. Zero values take the defaults
// named on each field; negative durations are refused by [New].
type Config struct {
	Name    string // provider name, used in logs and metric labels; default Issuer
	Issuer  string // exact issuer; discovery at {Issuer}/.well-known/openid-configuration
	JWKSURI string // optional; when set, discovery is not used

	// InsecureAllowHTTP permits http:// URLs for non-loopback hosts. It is
	// insecure: anyone on the network path can then substitute the keys.
	InsecureAllowHTTP bool

	RefreshInterval    time.Duration // default 10m; used when the provider gives no freshness
	MinRefreshInterval time.Duration // default 5s; floor between unknown-kid refreshes
	MaxWait            time.Duration // default 1s; longest a request waits for a fetch
	FetchTimeout       time.Duration // default 5s; per HTTP request
	MaxStale           time.Duration // default 24h; keys unconfirmed for longer are not used
	MinCacheTTL        time.Duration // default 1m; floor on Cache-Control/Expires lifetimes
	MaxCacheTTL        time.Duration // default 24h; ceiling on Cache-Control/Expires lifetimes
	BackoffInitial     time.Duration // default 1s; first retry delay after a failure
	BackoffMax         time.Duration // default 5m; retry delay ceiling

	// CacheDir, when set, is where the last good JWKS is saved (mode 0600)
	// and read back at start. A directory not owned by the service's uid, or
	// group- or world-writable, is refused.
	CacheDir string

	MaxResponseBytes int64 // default 1 MiB; larger JWKS or discovery bodies fail
	MaxKeys          int   // default 100; a JWKS with more keys fails
	MaxRedirects     int   // default 3; negative: none. Redirects must keep the scheme

	// OnReadyChange, when set, is called by the owner goroutine whenever
	// Ready's answer changes. It must not block.
	OnReadyChange func(ready bool)

	HTTPClient *http.Client     // nil: a client of the cache's own
	Logger     *slog.Logger     // nil: discard
	Metrics    *metrics.Metrics // nil: no metrics
}

// Cache owns one provider's keys. See the package documentation. Its methods
// are safe for concurrent use; a Cache must not be copied.
type Cache struct {
	cfg   Config
	log   *slog.Logger
	fetch *fetcher
	store *store              // nil without CacheDir
	saved *restored           // read from store by New, handed to Run
	rand  func() float64      // jitter source, values in [0, 1); tests replace it
	snap  atomic.Pointer[Set] // published keys, maybe stale; nil before the first
	asks  chan ask            // requests that missed; served by Run
	ran   atomic.Bool         // Run has been called
	done  chan struct{}       // closed when Run returns
}

// ask is a request's call for a refresh. The owner sends the key set current
// after the refresh (nil: none) on reply, which has room for one value so
// the owner never blocks on a request that stopped waiting.
type ask struct {
	reply chan *Set
}

// New validates cfg, applies the defaults and returns a Cache; call
// [Cache.Run] to start it. With CacheDir set, it creates the directory
// (mode 0700) when missing, fails when another uid owns it or others may
// write to it, and reads the saved keys, which Run publishes at start; a
// saved file that cannot be used is logged and ignored.
func New(cfg Config) (*Cache, error) {
	if err := cfg.applyDefaults(); err != nil {
		return nil, fmt.Errorf("provider %q: %w", cfg.Name, err)
	}
	c := &Cache{
		cfg:  cfg,
		log:  cfg.Logger,
		rand: rand.Float64,
		asks: make(chan ask),
		done: make(chan struct{}),
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("provider", cfg.Name)
	c.fetch = newFetcher(&c.cfg)
	if cfg.CacheDir != "" {
		st, err := openStore(cfg.CacheDir, cfg.Name, cfg.Issuer)
		if err != nil {
			return nil, fmt.Errorf("provider %q: %w", cfg.Name, err)
		}
		c.store = st
		c.saved = c.loadSaved()
	}
	cfg.Metrics.Provider(cfg.Name)
	cfg.Metrics.Ready(cfg.Name, false)
	return c, nil
}

func (cfg *Config) applyDefaults() error {
	if cfg.Issuer == "" {
		return errors.New("issuer is required")
	}
	if cfg.Name == "" {
		cfg.Name = cfg.Issuer
	}
	durations := []struct {
		name string
		d    *time.Duration
		def  time.Duration
	}{
		{"refresh_interval", &cfg.RefreshInterval, DefaultRefreshInterval},
		{"min_refresh_interval", &cfg.MinRefreshInterval, DefaultMinRefreshInterval},
		{"max_wait", &cfg.MaxWait, DefaultMaxWait},
		{"fetch_timeout", &cfg.FetchTimeout, DefaultFetchTimeout},
		{"max_stale", &cfg.MaxStale, DefaultMaxStale},
		{"min_cache_ttl", &cfg.MinCacheTTL, DefaultMinCacheTTL},
		{"max_cache_ttl", &cfg.MaxCacheTTL, DefaultMaxCacheTTL},
		{"backoff_initial", &cfg.BackoffInitial, DefaultBackoffInitial},
		{"backoff_max", &cfg.BackoffMax, DefaultBackoffMax},
	}
	for _, f := range durations {
		if *f.d < 0 {
			return fmt.Errorf("%s: negative duration %v", f.name, *f.d)
		}
		if *f.d == 0 {
			*f.d = f.def
		}
	}
	if cfg.MinCacheTTL > cfg.MaxCacheTTL {
		return fmt.Errorf("min_cache_ttl %v exceeds max_cache_ttl %v",
			cfg.MinCacheTTL, cfg.MaxCacheTTL)
	}
	if cfg.BackoffInitial > cfg.BackoffMax {
		return fmt.Errorf("backoff_initial %v exceeds backoff_max %v",
			cfg.BackoffInitial, cfg.BackoffMax)
	}
	if cfg.MaxResponseBytes < 0 || cfg.MaxKeys < 0 {
		return errors.New("max_response_bytes and max_keys must not be negative")
	}
	if cfg.MaxResponseBytes == 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.MaxKeys == 0 {
		cfg.MaxKeys = DefaultMaxKeys
	}
	switch {
	case cfg.MaxRedirects == 0:
		cfg.MaxRedirects = DefaultMaxRedirects
	case cfg.MaxRedirects < 0:
		cfg.MaxRedirects = 0
	}
	if cfg.JWKSURI != "" {
		if _, err := parseURL(cfg.JWKSURI, cfg.InsecureAllowHTTP); err != nil {
			return fmt.Errorf("jwks_uri: %w", err)
		}
		return nil
	}
	if _, err := parseURL(cfg.Issuer, cfg.InsecureAllowHTTP); err != nil {
		return fmt.Errorf("issuer (used for discovery): %w", err)
	}
	return nil
}

// Get returns a key set that holds kid, or, when kid is empty, the current
// non-empty key set. Known kids are answered from the published snapshot
// without waiting. Otherwise Get asks the owner for a refresh and waits until
// ctx's deadline less a margin, or MaxWait, whichever comes first. It returns
// [ErrUnknownKey] when usable keys exist but none has the id (after a refresh,
// or at once while refreshes are rate limited), and [ErrKeysUnavailable] when
// there are no usable keys, the wait ran out, ctx ended or the cache stopped.
// Before Run starts, a miss waits for the full limit.
func (c *Cache) Get(ctx context.Context, kid string) (*Set, error) {
	if s := c.usable(c.snap.Load(), time.Now()); s != nil {
		if kid == "" {
			return s, nil
		}
		if _, ok := s.Lookup(kid); ok {
			return s, nil
		}
	}
	wait := c.waitLimit(ctx)
	if wait <= 0 {
		return nil, fmt.Errorf("%w: no time left to wait for a fetch", ErrKeysUnavailable)
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	a := ask{reply: make(chan *Set, 1)}
	select {
	case c.asks <- a:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrKeysUnavailable, context.Cause(ctx))
	case <-timer.C:
		return nil, fmt.Errorf("%w: owner busy for %v", ErrKeysUnavailable, wait)
	case <-c.done:
		return nil, fmt.Errorf("%w: cache stopped", ErrKeysUnavailable)
	}
	var s *Set
	select {
	case s = <-a.reply:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrKeysUnavailable, context.Cause(ctx))
	case <-timer.C:
		return nil, fmt.Errorf("%w: fetch took longer than %v", ErrKeysUnavailable, wait)
	case <-c.done:
		return nil, fmt.Errorf("%w: cache stopped", ErrKeysUnavailable)
	}
	s = c.usable(s, time.Now())
	switch _, ok := s.Lookup(kid); {
	case s == nil:
		return nil, ErrKeysUnavailable
	case kid == "" || ok:
		return s, nil
	default:
		return nil, ErrUnknownKey
	}
}

// Wait margins: a request's answer must beat the proxy's own timeout for the
// same request, so a waiter leaves a tenth of its remaining time, at most
// maxMargin, for the decision and the reply to travel back.
const maxMargin = 50 * time.Millisecond

// waitLimit is how long a request may wait for the owner: MaxWait, or less
// when ctx's deadline, minus the margin, comes sooner. Forward-auth
// requests carry no deadline, so MaxWait alone bounds them.
func (c *Cache) waitLimit(ctx context.Context) time.Duration {
	wait := c.cfg.MaxWait
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		wait = min(wait, left-min(left/10, maxMargin))
	}
	return wait
}

// usable returns s when it may be used at now: not nil and confirmed less
// than MaxStale ago.
func (c *Cache) usable(s *Set, now time.Time) *Set {
	if s == nil || !now.Before(s.Fetched().Add(c.cfg.MaxStale)) {
		return nil
	}
	return s
}

// Ready reports whether the cache holds usable keys: keys that the provider
// confirmed less than MaxStale ago.
func (c *Cache) Ready() bool { return c.usable(c.snap.Load(), time.Now()) != nil }

// Name returns the provider's name.
func (c *Cache) Name() string { return c.cfg.Name }
