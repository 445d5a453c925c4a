package jwks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"time"
)

// fetcher makes the HTTP requests of one provider. It is immutable, so the
// fetch goroutines use it without locks.
type fetcher struct {
	client       *http.Client // with the redirect policy installed
	ownTransport bool         // client's transport is ours to close
	issuer       string
	configured   string // JWKSURI from the configuration; "" means discovery
	timeout      time.Duration
	maxBytes     int64
	maxKeys      int
	insecureHTTP bool

	// The bounds that turn a response's caching headers into a lifetime.
	fallbackTTL, minTTL, maxTTL time.Duration
}

func newFetcher(cfg *Config) *fetcher {
	f := &fetcher{
		issuer:       cfg.Issuer,
		configured:   cfg.JWKSURI,
		timeout:      cfg.FetchTimeout,
		maxBytes:     cfg.MaxResponseBytes,
		maxKeys:      cfg.MaxKeys,
		insecureHTTP: cfg.InsecureAllowHTTP,
		fallbackTTL:  cfg.RefreshInterval,
		minTTL:       cfg.MinCacheTTL,
		maxTTL:       cfg.MaxCacheTTL,
	}
	var c http.Client
	if cfg.HTTPClient != nil {
		c = *cfg.HTTPClient // a copy, so the caller's redirect policy stays theirs
	} else {
		c.Transport = http.DefaultTransport.(*http.Transport).Clone()
		f.ownTransport = true
	}
	maxRedirects := cfg.MaxRedirects
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > maxRedirects {
			return kindErr(KindRedirect, fmt.Errorf("more than %d redirects", max(maxRedirects, 0)))
		}
		if req.URL.Scheme != via[0].URL.Scheme {
			return kindErr(KindRedirect, fmt.Errorf("redirect from %s:// to %s://",
				via[0].URL.Scheme, req.URL.Scheme))
		}
		return checkURL(req.URL, f.insecureHTTP)
	}
	f.client = &c
	return f
}

// close releases idle connections of a transport the fetcher created.
func (f *fetcher) close() {
	if f.ownTransport {
		f.client.CloseIdleConnections()
	}
}

// validators are the values for a conditional request (RFC 9110 13.1).
type validators struct {
	etag         string
	lastModified string
}

// response is a 200 or, for a conditional request, a 304 answer.
type response struct {
	notModified bool
	header      http.Header
	body        []byte
}

// get fetches rawURL under its own timeout, derived from ctx. With non-empty
// validators it makes a conditional request and accepts a 304. Failures are
// of one of the Kind values, or, when ctx itself ended, wrap ctx.Err().
func (f *fetcher) get(ctx context.Context, rawURL string, v validators) (*response, error) {
	if _, err := parseURL(rawURL, f.insecureHTTP); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, kindErr(KindInsecureURL, fmt.Errorf("building request: %w", err))
	}
	req.Header.Set("Accept", "application/json, application/jwk-set+json")
	if v.etag != "" {
		req.Header.Set("If-None-Match", v.etag)
	}
	if v.lastModified != "" {
		req.Header.Set("If-Modified-Since", v.lastModified)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, classify(ctx, fmt.Errorf("GET %s: %w", rawURL, err))
	}
	defer resp.Body.Close()

	conditional := v.etag != "" || v.lastModified != ""
	switch {
	case resp.StatusCode == http.StatusNotModified && conditional:
		return &response{notModified: true, header: resp.Header}, nil
	case resp.StatusCode != http.StatusOK:
		return nil, kindErr(KindStatus, fmt.Errorf("GET %s: status %d", rawURL, resp.StatusCode))
	case resp.ContentLength > f.maxBytes:
		return nil, kindErr(KindTooLarge, fmt.Errorf("GET %s: %d bytes, over the limit of %d",
			rawURL, resp.ContentLength, f.maxBytes))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBytes+1))
	if err != nil {
		return nil, classify(ctx, fmt.Errorf("GET %s: reading body: %w", rawURL, err))
	}
	if int64(len(body)) > f.maxBytes {
		return nil, kindErr(KindTooLarge,
			fmt.Errorf("GET %s: body over the limit of %d bytes", rawURL, f.maxBytes))
	}
	if looksLikeHTML(resp.Header.Get("Content-Type"), body) {
		return nil, kindErr(KindContent, fmt.Errorf("GET %s: HTML instead of JSON", rawURL))
	}
	return &response{header: resp.Header, body: body}, nil
}

// classify gives a transport error its kind: timeout when the fetch's own
// deadline ran out, connect otherwise. Kinds set by the redirect policy are
// kept. ctx is the fetch's context.
func classify(ctx context.Context, err error) error {
	if _, ok := errors.AsType[*fetchError](err); ok {
		return err
	}
	var ne net.Error
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return kindErr(KindTimeout, err)
	}
	return kindErr(KindConnect, err)
}

// looksLikeHTML catches the error pages of proxies and login portals, which
// often come with status 200.
func looksLikeHTML(contentType string, body []byte) bool {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && mt == "text/html" {
		return true
	}
	return bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("<"))
}
