package config

import (
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/extauthz/extauthz/authz"
	"github.com/extauthz/extauthz/jwks"
)

// JWKSConfig returns the key cache settings of provider p. The caller sets
// the hooks (OnReadyChange, HTTPClient, Logger, Metrics). c must have been
// validated.
func (c *Config) JWKSConfig(p Provider) jwks.Config {
	return jwks.Config{
		Name:               p.Name,
		Issuer:             p.Issuer,
		JWKSURI:            p.JWKSURI,
		InsecureAllowHTTP:  p.InsecureAllowHTTP,
		RefreshInterval:    p.RefreshInterval.D(),
		MinRefreshInterval: p.MinRefreshInterval.D(),
		MaxWait:            p.MaxWait.D(),
		FetchTimeout:       p.FetchTimeout.D(),
		MaxStale:           p.MaxStale.D(),
		MinCacheTTL:        p.MinCacheTTL.D(),
		MaxCacheTTL:        p.MaxCacheTTL.D(),
		BackoffInitial:     p.BackoffInitial.D(),
		BackoffMax:         p.BackoffMax.D(),
		CacheDir:           c.CacheDir,
		MaxResponseBytes:   c.Limits.MaxJWKSBytes,
		MaxKeys:            c.Limits.MaxJWKSKeys,
		MaxRedirects:       c.Limits.MaxRedirects,
	}
}

// AuthzProvider returns the verification rules of provider p, taking its
// keys from keys. p must come from a validated Config.
func (p Provider) AuthzProvider(keys authz.KeySource) authz.Provider {
	skew := DefaultClockSkew
	if p.ClockSkew != nil {
		skew = *p.ClockSkew
	}
	return authz.Provider{
		Name:            p.Name,
		Issuer:          p.Issuer,
		Audiences:       p.Audiences,
		Algorithms:      p.Algorithms,
		ClockSkew:       skew.D(),
		Keys:            keys,
		RequiredType:    p.RequiredType,
		MaxLifetime:     p.MaxTokenLifetime.D(),
		RequiredClaims:  p.RequiredClaims,
		SubjectPatterns: p.subjectPatterns(),
	}
}

// never matches any subject.
var never = regexp.MustCompile(`[^\x00-\x{10FFFF}]`)

// subjectPatterns returns the compiled allowed_subjects, compiling them if
// p was not validated. A pattern that does not compile then matches nothing,
// so a mistake denies instead of letting every subject through.
func (p Provider) subjectPatterns() []*regexp.Regexp {
	if len(p.subjects) == len(p.AllowedSubjects) {
		return p.subjects
	}
	res := make([]*regexp.Regexp, 0, len(p.AllowedSubjects))
	for _, s := range p.AllowedSubjects {
		re, err := authz.AnchorSubject(s)
		if err != nil {
			re = never
		}
		res = append(res, re)
	}
	return res
}

// AuthzLimits returns the request limits.
func (c *Config) AuthzLimits() authz.Limits {
	return authz.Limits{
		MaxTokenBytes:  c.Limits.MaxTokenBytes,
		MaxHeaderBytes: c.Limits.MaxHeaderBytes,
		MaxJSONDepth:   c.Limits.MaxJSONDepth,
		MaxClaims:      c.Limits.MaxClaims,
	}
}

// SubjectPatterns returns the compiled, anchored allowed_subjects; nil
// before validation.
func (p Provider) SubjectPatterns() []*regexp.Regexp { return p.subjects }

// LogLevel returns the configured level; c must have been validated.
func (c *Config) LogLevel() slog.Level {
	l, _ := ParseLevel(c.Log.Level) // Validate admitted it
	return l
}

// ParseLevel parses a log level name: debug, info, warn or error, in any
// case. For other names it returns an error and slog.LevelInfo.
func ParseLevel(name string) (slog.Level, error) {
	switch strings.ToLower(name) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return slog.LevelInfo, fmt.Errorf("want debug, info, warn or error, got %q", name)
}
