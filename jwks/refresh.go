package jwks

import (
	"context"
	"fmt"
	"time"
)

// refreshInput is what one refresh needs from the owner's state.
type refreshInput struct {
	issuer     string
	configured string     // JWKSURI from the configuration; "" means discovery
	current    string     // the URL the current keys came from
	validators validators // of the current keys, for a conditional request
}

// refreshResult is the outcome of one refresh, handed back to the owner.
type refreshResult struct {
	jwksURI     string
	notModified bool
	keys        []*Key
	skipped     []Skipped
	body        []byte // the JWKS as fetched, for the cache directory
	validators  validators
	lifetime    time.Duration // how long the answer stays fresh
	took        time.Duration
	err         error
}

// refresh runs discovery when needed, then fetches and parses the JWKS. It
// runs in a goroutine of the owner's, never touching the owner's state.
func (f *fetcher) refresh(ctx context.Context, in refreshInput, ttl ttlRule) refreshResult {
	start := time.Now()
	r := f.refreshOnce(ctx, in, ttl)
	r.took = time.Since(start)
	return r
}

func (f *fetcher) refreshOnce(ctx context.Context, in refreshInput, ttl ttlRule) refreshResult {
	uri := in.configured
	if uri == "" {
		var err error
		if uri, err = f.discover(ctx, in.issuer); err != nil {
			return refreshResult{err: err}
		}
	}
	v := in.validators
	if uri != in.current {
		// Validators belong to the URL they came from.
		v = validators{}
	}
	resp, err := f.get(ctx, uri, v)
	if err != nil {
		return refreshResult{jwksURI: uri, err: fmt.Errorf("fetching JWKS: %w", err)}
	}
	r := refreshResult{
		jwksURI:     uri,
		notModified: resp.notModified,
		validators:  v,
		lifetime:    ttl.lifetime(resp, time.Now()),
	}
	// A 304 may carry updated validators (RFC 9110 15.4.5); keep the old
	// ones for those it leaves out.
	if etag := resp.header.Get("ETag"); etag != "" || !resp.notModified {
		r.validators.etag = etag
	}
	if lm := resp.header.Get("Last-Modified"); lm != "" || !resp.notModified {
		r.validators.lastModified = lm
	}
	if resp.notModified {
		return r
	}
	r.keys, r.skipped, r.err = ParseJWKS(resp.body, f.maxKeys)
	if r.err != nil {
		r.err = fmt.Errorf("parsing JWKS from %s: %w", uri, r.err)
		return r
	}
	r.body = resp.body
	return r
}

// ttlRule holds the settings that turn response headers into a lifetime.
type ttlRule struct {
	fallback, minTTL, maxTTL time.Duration
}

func (t ttlRule) lifetime(resp *response, now time.Time) time.Duration {
	return lifetime(resp.header, now, t.fallback, t.minTTL, t.maxTTL)
}
