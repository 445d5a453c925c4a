package jwks

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
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

// Config configures one provider's [Cache]. Zero durations take the defaults
// named on each field.
type Config struct {
	Name    string // provider name, used in logs and metric labels
	Issuer  string // exact issuer; discovery at {Issuer}/.well-known/openid-configuration
	JWKSURI string // optional; when set, discovery is not used

	// InsecureAllowHTTP permits http:// URLs for non-loopback hosts.
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
	// and read back at start. A group- or world-writable directory is refused.
	CacheDir string

	MaxResponseBytes int64 // default 1 MiB; larger JWKS or discovery bodies fail
	MaxKeys          int   // default 100; a JWKS with more keys fails
	MaxRedirects     int   // default 3; redirects must keep the scheme

	// OnReadyChange, when set, is called by the owner goroutine whenever
	// Ready's answer changes. It must not block.
	OnReadyChange func(ready bool)

	HTTPClient *http.Client     // nil: a client of the cache's own
	Logger     *slog.Logger     // nil: discard
	Metrics    *metrics.Metrics // nil: no metrics
}

// Cache owns one provider's keys. See the package documentation.
type Cache struct {
	cfg Config
}

// New validates cfg and returns a Cache; call [Cache.Run] to start it.
func New(cfg Config) (*Cache, error) {
	return &Cache{cfg: cfg}, nil
}

// Run is the owner goroutine: it fetches at start, refreshes in the
// background and answers refresh asks, until ctx is cancelled. It returns
// only after every fetch it started has ended.
func (c *Cache) Run(ctx context.Context) {
	<-ctx.Done()
}

// Get returns a key set that holds kid, or, when kid is empty, the current
// non-empty key set. Known kids are answered from the published snapshot
// without waiting. Otherwise Get asks the owner for a refresh and waits until
// ctx's deadline less a margin, or MaxWait, whichever comes first. It returns
// [ErrUnknownKey] or [ErrKeysUnavailable].
func (c *Cache) Get(ctx context.Context, kid string) (*Set, error) {
	return nil, ErrKeysUnavailable
}

// Ready reports whether the cache holds usable keys.
func (c *Cache) Ready() bool { return false }

// Name returns the provider's name.
func (c *Cache) Name() string { return c.cfg.Name }
