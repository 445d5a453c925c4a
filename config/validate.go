package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/extauthz/extauthz/authz"
	"github.com/extauthz/extauthz/jwks"
)

var providerName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// Validate fills in defaults (listen addresses, clock_skew, log settings,
// shutdown_timeout) and checks c. It returns the first problem found as a
// one-line error naming the key. Validate is called by [Parse]; call it
// yourself only for a Config built in code.
func (c *Config) Validate() error {
	c.setDefaults()
	if err := c.Listen.validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if len(c.Providers) == 0 {
		return errors.New("config: providers: at least one provider is required")
	}
	names, issuers := map[string]int{}, map[string]int{}
	for i := range c.Providers {
		p := &c.Providers[i]
		if err := p.validate(); err != nil {
			return fmt.Errorf("config: providers[%d].%w", i, err)
		}
		if j, dup := names[p.Name]; dup {
			return fmt.Errorf("config: providers[%d].name: %q is also the name of providers[%d]",
				i, p.Name, j)
		}
		if j, dup := issuers[p.Issuer]; dup {
			return fmt.Errorf(
				"config: providers[%d].issuer: %q is also the issuer of providers[%d]",
				i, p.Issuer, j)
		}
		names[p.Name], issuers[p.Issuer] = i, i
	}
	for _, check := range []func() error{c.Limits.validate, c.TLS.validate, c.Log.validate} {
		if err := check(); err != nil {
			return fmt.Errorf("config: %w", err)
		}
	}
	if c.ShutdownTimeout < 0 {
		return fmt.Errorf("config: shutdown_timeout: negative duration %q", c.ShutdownTimeout)
	}
	return nil
}

func (c *Config) setDefaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Listen.GRPC, DefaultGRPCAddr)
	def(&c.Listen.HTTP, DefaultHTTPAddr)
	def(&c.Listen.Admin, DefaultAdminAddr)
	def(&c.Log.Level, "info")
	def(&c.Log.Format, "json")
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	for i := range c.Providers {
		if c.Providers[i].ClockSkew == nil {
			skew := DefaultClockSkew
			c.Providers[i].ClockSkew = &skew
		}
	}
}

func (l Listen) validate() error {
	addrs := []struct{ key, addr string }{
		{"listen.grpc", l.GRPC}, {"listen.http", l.HTTP}, {"listen.admin", l.Admin},
	}
	seen := map[string]string{}
	for _, a := range addrs {
		_, port, err := net.SplitHostPort(a.addr)
		if err != nil {
			return fmt.Errorf("%s: want host:port, got %q", a.key, a.addr)
		}
		// Port 0 asks the system for a free port, so it never collides.
		if other, dup := seen[a.addr]; dup && port != "0" {
			return fmt.Errorf("%s: %q is also %s", a.key, a.addr, other)
		}
		seen[a.addr] = a.key
	}
	return nil
}

// validate returns an error whose text starts with the key, so the caller
// can prefix it with "providers[i].".
func (p *Provider) validate() error {
	if !providerName.MatchString(p.Name) {
		return fmt.Errorf("name: want 1-64 letters, digits, '.', '_' or '-', got %q", p.Name)
	}
	if p.Issuer == "" {
		return errors.New("issuer: required")
	}
	if err := checkURL(p.Issuer, p.InsecureAllowHTTP); err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	if p.JWKSURI != "" {
		if err := checkURL(p.JWKSURI, p.InsecureAllowHTTP); err != nil {
			return fmt.Errorf("jwks_uri: %w", err)
		}
	}
	// Without an audience check a token minted for any service of the same
	// issuer would pass, so the list is required.
	if len(p.Audiences) == 0 {
		return errors.New("audiences: at least one audience is required")
	}
	if err := checkList("audiences", p.Audiences); err != nil {
		return err
	}
	if err := checkAlgorithms(p.Algorithms); err != nil {
		return err
	}
	if err := p.checkDurations(); err != nil {
		return err
	}
	if err := checkList("required_claims", p.RequiredClaims); err != nil {
		return err
	}
	return p.compileSubjects()
}

// minRefreshDuration is the least non-zero value of the durations that pace
// fetches. Below it a typo ("10ms" for "10m") would make the service fetch
// keys thousands of times a second; issue 2 forbids floors above one second,
// which tests use.
const minRefreshDuration = Duration(time.Second)

// MaxWaitCeiling and maxFetchTimeout bound the durations that a request or
// a fetch may take. Forward-auth requests carry no deadline of their own, so
// without a ceiling a mistyped max_wait ("1h" for "1s") would let every
// check hang on a stalled provider.
const (
	MaxWaitCeiling  = Duration(30 * time.Second)
	maxFetchTimeout = Duration(5 * time.Minute)
)

func (p *Provider) checkDurations() error {
	for _, d := range []struct {
		key     string
		v       Duration
		floor   bool
		ceiling Duration // 0: none
	}{
		{"clock_skew", *p.ClockSkew, false, 0}, {"refresh_interval", p.RefreshInterval, true, 0},
		{"min_refresh_interval", p.MinRefreshInterval, true, 0},
		{"max_wait", p.MaxWait, false, MaxWaitCeiling},
		{"fetch_timeout", p.FetchTimeout, false, maxFetchTimeout},
		{"max_stale", p.MaxStale, true, 0},
		{"min_cache_ttl", p.MinCacheTTL, true, 0}, {"max_cache_ttl", p.MaxCacheTTL, true, 0},
		{"backoff_initial", p.BackoffInitial, true, 0}, {"backoff_max", p.BackoffMax, true, 0},
		{"max_token_lifetime", p.MaxTokenLifetime, false, 0},
	} {
		switch {
		case d.v < 0:
			return fmt.Errorf("%s: negative duration %q", d.key, d.v)
		case d.floor && d.v > 0 && d.v < minRefreshDuration:
			return fmt.Errorf("%s: %s is below the floor of %s", d.key, d.v, minRefreshDuration)
		case d.ceiling > 0 && d.v > d.ceiling:
			return fmt.Errorf("%s: %s is above the ceiling of %s", d.key, d.v, d.ceiling)
		}
	}
	if err := checkOrder(
		"min_cache_ttl", p.MinCacheTTL, jwks.DefaultMinCacheTTL,
		"max_cache_ttl", p.MaxCacheTTL, jwks.DefaultMaxCacheTTL,
	); err != nil {
		return err
	}
	return checkOrder(
		"backoff_initial", p.BackoffInitial, jwks.DefaultBackoffInitial,
		"backoff_max", p.BackoffMax, jwks.DefaultBackoffMax,
	)
}

// checkOrder refuses a lower bound above its upper bound, comparing the
// values jwks.New will use (zero takes the default), so that a value that
// clashes with a default is named here rather than refused at start-up.
func checkOrder(lowKey string, low Duration, lowDef time.Duration,
	highKey string, high Duration, highDef time.Duration,
) error {
	switch {
	case low > 0 && high > 0 && low > high:
		return fmt.Errorf("%s: %s is above %s %s", lowKey, low, highKey, high)
	case low > 0 && high == 0 && low.D() > highDef:
		return fmt.Errorf("%s: %s is above the default %s %s", lowKey, low, highKey, highDef)
	case low == 0 && high > 0 && lowDef > high.D():
		return fmt.Errorf("%s: %s is below the default %s %s", highKey, high, lowKey, lowDef)
	}
	return nil
}

func (p *Provider) compileSubjects() error {
	p.subjects = nil
	for i, s := range p.AllowedSubjects {
		re, err := authz.AnchorSubject(s)
		if err != nil {
			return fmt.Errorf("allowed_subjects[%d]: invalid regular expression %q", i, s)
		}
		p.subjects = append(p.subjects, re)
	}
	return nil
}

// checkURL applies the cache's own URL rule ([jwks.CheckURL]) and, since
// OpenID Connect Discovery 1.0 section 3 forbids a query or fragment in an
// issuer and none of our URLs needs one, refuses those too.
func checkURL(raw string, insecure bool) error {
	if err := jwks.CheckURL(raw, insecure); err != nil {
		if !insecure && strings.HasPrefix(raw, "http://") {
			return fmt.Errorf("%w (set insecure_allow_http to allow it)", err)
		}
		return err
	}
	u, _ := url.Parse(raw) // parsed by CheckURL already
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return fmt.Errorf("%q must not carry a query or a fragment", raw)
	}
	return nil
}

// checkAlgorithms accepts the asymmetric algorithms authz supports. "none"
// and HMAC get their own message: a verifier that holds only public keys
// must never accept them (RFC 8725 2.1, 3.1).
func checkAlgorithms(algs []string) error {
	seen := map[string]bool{}
	for i, a := range algs {
		switch {
		case strings.EqualFold(a, "none"):
			return fmt.Errorf(
				"algorithms[%d]: %q is not allowed: unsigned tokens are never accepted", i, a)
		case strings.HasPrefix(strings.ToUpper(a), "HS"):
			return fmt.Errorf("algorithms[%d]: %q is not allowed: HMAC needs a shared secret", i, a)
		case !slices.Contains(authz.DefaultAlgorithms, a):
			return fmt.Errorf("algorithms[%d]: unknown algorithm %q (known: %s)",
				i, a, strings.Join(authz.DefaultAlgorithms, ", "))
		case seen[a]:
			return fmt.Errorf("algorithms[%d]: %q is listed twice", i, a)
		}
		seen[a] = true
	}
	return nil
}

func checkList(key string, values []string) error {
	seen := map[string]bool{}
	for i, v := range values {
		if v == "" {
			return fmt.Errorf("%s[%d]: empty value", key, i)
		}
		if seen[v] {
			return fmt.Errorf("%s[%d]: %q is listed twice", key, i, v)
		}
		seen[v] = true
	}
	return nil
}

func (l Limits) validate() error {
	for _, v := range []struct {
		key string
		n   int64
	}{
		{"max_token_bytes", int64(l.MaxTokenBytes)}, {"max_header_bytes", int64(l.MaxHeaderBytes)},
		{"max_json_depth", int64(l.MaxJSONDepth)}, {"max_claims", int64(l.MaxClaims)},
		{"max_jwks_bytes", l.MaxJWKSBytes}, {"max_jwks_keys", int64(l.MaxJWKSKeys)},
		{"max_redirects", int64(l.MaxRedirects)},
	} {
		if v.n < 0 {
			return fmt.Errorf("limits.%s: must not be negative, got %d", v.key, v.n)
		}
	}
	return nil
}

func (t TLS) validate() error {
	switch {
	case t.CertFile == "" && t.KeyFile != "":
		return errors.New("tls.cert_file: required with tls.key_file")
	case t.CertFile != "" && t.KeyFile == "":
		return errors.New("tls.key_file: required with tls.cert_file")
	case t.CertFile == "" && t.ClientCAFile != "":
		return errors.New("tls.cert_file: required with tls.client_ca_file")
	}
	return nil
}

func (l Log) validate() error {
	if _, err := ParseLevel(l.Level); err != nil {
		return fmt.Errorf("log.level: %w", err)
	}
	if l.Format != "json" && l.Format != "text" {
		return fmt.Errorf("log.format: want json or text, got %q", l.Format)
	}
	return nil
}
