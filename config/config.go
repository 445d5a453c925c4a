// Package config loads and validates the extauthz YAML configuration.
//
// [Load] and [Parse] reject unknown keys, malformed values and unsafe
// settings with a one-line error that names the key, for example
//
//	config: providers[0].clock_skew: negative duration "-1s"
//
// Booleans are only the YAML 1.2 words true and false, unquoted (not yes, on
// or y), and integers only integers (not 1.5).
//
// A *Config they return is valid: its durations are non-negative, those that
// pace fetches from the provider (refresh_interval, min_refresh_interval,
// max_stale, min_cache_ttl, max_cache_ttl, backoff_initial, backoff_max) are
// zero or at least one second, provider names and issuers are unique, no
// provider allows "none" or an HMAC algorithm, and every allowed_subjects
// pattern is a valid regular expression on its own. Zero values of durations
// and limits mean "the default", which the packages that use them
// ([jwks.Config], [authz.Limits]) document.
package config

import (
	"regexp"
)

// Default listener addresses, used for keys of listen that are absent.
const (
	DefaultGRPCAddr  = "127.0.0.1:9001"
	DefaultHTTPAddr  = "127.0.0.1:9002"
	DefaultAdminAddr = "127.0.0.1:9090"
)

// DefaultClockSkew is the leeway on exp, nbf and iat when a provider does not
// set clock_skew. An explicit "0" means no leeway.
const DefaultClockSkew = Duration(60e9)

// DefaultShutdownTimeout bounds how long in-flight checks may run after
// SIGTERM when shutdown_timeout is absent.
const DefaultShutdownTimeout = Duration(15e9)

// Config is the whole configuration file.
type Config struct {
	Listen    Listen     `yaml:"listen"`
	Providers []Provider `yaml:"providers"`
	// CacheDir, when set, is where each provider's last good JWKS is kept
	// across restarts.
	CacheDir string `yaml:"cache_dir"`
	Limits   Limits `yaml:"limits"`
	TLS      TLS    `yaml:"tls"`
	Log      Log    `yaml:"log"`
	// ShutdownTimeout bounds the wait for in-flight checks on SIGTERM; after
	// it, remaining connections are closed. Zero means DefaultShutdownTimeout.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
}

// Listen holds the listeners' addresses (host:port).
type Listen struct {
	GRPC  string `yaml:"grpc"`  // Envoy ext_authz v3, gRPC health, reflection
	HTTP  string `yaml:"http"`  // forward-auth
	Admin string `yaml:"admin"` // /metrics, /healthz, /readyz; never TLS
}

// Provider is one trusted token issuer.
type Provider struct {
	Name       string   `yaml:"name"`
	Issuer     string   `yaml:"issuer"`
	JWKSURI    string   `yaml:"jwks_uri"`
	Audiences  []string `yaml:"audiences"`
	Algorithms []string `yaml:"algorithms"`

	// ClockSkew is nil when absent; [Config.Validate] sets it to
	// DefaultClockSkew then.
	ClockSkew          *Duration `yaml:"clock_skew"`
	RefreshInterval    Duration  `yaml:"refresh_interval"`
	MinRefreshInterval Duration  `yaml:"min_refresh_interval"`
	MaxWait            Duration  `yaml:"max_wait"`
	FetchTimeout       Duration  `yaml:"fetch_timeout"`
	MaxStale           Duration  `yaml:"max_stale"`
	MinCacheTTL        Duration  `yaml:"min_cache_ttl"`
	MaxCacheTTL        Duration  `yaml:"max_cache_ttl"`
	BackoffInitial     Duration  `yaml:"backoff_initial"`
	BackoffMax         Duration  `yaml:"backoff_max"`

	// InsecureAllowHTTP permits http:// issuer and JWKS URLs for hosts that
	// are not loopback, so keys can be changed by anyone on the path.
	InsecureAllowHTTP bool `yaml:"insecure_allow_http"`

	RequiredType     string   `yaml:"required_type"`
	MaxTokenLifetime Duration `yaml:"max_token_lifetime"`
	RequiredClaims   []string `yaml:"required_claims"`
	AllowedSubjects  []string `yaml:"allowed_subjects"`

	// subjects holds AllowedSubjects compiled and anchored by Validate.
	subjects []*regexp.Regexp
}

// Limits bound what the service reads. Zero means the default.
type Limits struct {
	MaxTokenBytes  int   `yaml:"max_token_bytes"`
	MaxHeaderBytes int   `yaml:"max_header_bytes"`
	MaxJSONDepth   int   `yaml:"max_json_depth"`
	MaxClaims      int   `yaml:"max_claims"`
	MaxJWKSBytes   int64 `yaml:"max_jwks_bytes"`
	MaxJWKSKeys    int   `yaml:"max_jwks_keys"`
	MaxRedirects   int   `yaml:"max_redirects"`
}

// TLS configures TLS on the gRPC and forward-auth listeners. When CertFile
// is empty, both listeners are plain TCP. With ClientCAFile, clients must
// present a certificate signed by that CA (mutual TLS).
type TLS struct {
	CertFile     string `yaml:"cert_file"`
	KeyFile      string `yaml:"key_file"`
	ClientCAFile string `yaml:"client_ca_file"`
}

// Enabled reports whether the listeners serve TLS.
func (t TLS) Enabled() bool { return t.CertFile != "" }

// Log configures the service's logs.
type Log struct {
	Level  string `yaml:"level"`  // debug, info (default), warn, error
	Format string `yaml:"format"` // json (default) or text
}
