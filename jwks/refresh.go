package jwks

import (
	"context"
	"fmt"
	"time"
)

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

// refresh runs discovery when needed, then fetches and parses the JWKS;
// current is the URL the owner's keys came from and v their validators, for
// a conditional request. It runs in a goroutine of the owner's, never
// touching the owner's state.
func (f *fetcher) refresh(ctx context.Context, current string, v validators) refreshResult {
	start := time.Now()
	r := f.refreshOnce(ctx, current, v)
	r.took = time.Since(start)
	return r
}

func (f *fetcher) refreshOnce(ctx context.Context, current string, v validators) refreshResult {
	uri := f.configured
	if uri == "" {
		var err error
		if uri, err = f.discover(ctx, f.issuer); err != nil {
			return refreshResult{err: err}
		}
	}
	if uri != current {
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
		lifetime:    lifetime(resp.header, time.Now(), f.fallbackTTL, f.minTTL, f.maxTTL),
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
