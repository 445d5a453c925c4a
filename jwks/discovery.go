package jwks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// discoveryPath is appended to the issuer (OpenID Connect Discovery 1.0, 4).
const discoveryPath = "/.well-known/openid-configuration"

// discover fetches issuer's discovery document and returns its jwks_uri.
// The document's issuer must equal issuer exactly (Discovery 4.3), and
// jwks_uri must pass the URL rules.
func (f *fetcher) discover(ctx context.Context, issuer string) (string, error) {
	resp, err := f.get(ctx, strings.TrimSuffix(issuer, "/")+discoveryPath, validators{})
	if err != nil {
		return "", fmt.Errorf("discovery: %w", err)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(resp.body, &doc); err != nil {
		return "", kindErr(KindJSON, fmt.Errorf("discovery: decoding: %w", err))
	}
	if doc.Issuer != issuer {
		return "", kindErr(KindIssuerMismatch,
			fmt.Errorf("discovery: document names issuer %q, want %q", doc.Issuer, issuer))
	}
	if doc.JWKSURI == "" {
		return "", kindErr(KindJSON, errors.New("discovery: no jwks_uri"))
	}
	if _, err := parseURL(doc.JWKSURI, f.insecureHTTP); err != nil {
		return "", fmt.Errorf("discovery: jwks_uri: %w", err)
	}
	return doc.JWKSURI, nil
}
