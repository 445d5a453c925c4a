package authz

import (
	"context"
	"strings"
	"time"
)

// verdict is the outcome of judging one token.
type verdict struct {
	reason   Reason
	provider string   // configured name; "" before a provider was chosen
	id       identity // the identity headers; set only when reason is ReasonOK
}

// verify judges a compact JWS. Cheap checks come first, so hostile input is
// turned away before any key lookup or signature work: size and shape, the
// header, the issuer, the algorithm, and only then the key and signature.
func (s *Server) verify(ctx context.Context, raw string, now time.Time) verdict {
	hdr, claims, r := s.parse(raw)
	if r != ReasonOK {
		return verdict{reason: r}
	}

	// The unverified iss only chooses among configured providers; it is
	// never a URL to fetch.
	iss, _ := claims["iss"].(string)
	p, ok := s.providers[iss]
	if !ok {
		return verdict{reason: ReasonUnknownIssuer}
	}
	v := verdict{provider: p.Name}

	alg := hdr["alg"].(string) // parse checked it is a string
	if !p.algorithms[alg] {
		v.reason = ReasonAlgorithmNotAllowed
		return v
	}
	if p.requiredType != "" {
		if typ, _ := hdr["typ"].(string); mediaType(typ) != p.requiredType {
			v.reason = ReasonWrongType
			return v
		}
	}

	kid, _ := hdr["kid"].(string)
	key, r := selectKey(ctx, p.Keys, alg, kid)
	if r != ReasonOK {
		v.reason = r
		return v
	}
	if !verifySignature(raw, alg, key.Public) {
		v.reason = ReasonBadSignature
		return v
	}

	if v.reason = checkClaims(p, claims, now); v.reason == ReasonOK {
		sub, _ := claims["sub"].(string)
		// iss is p.Issuer exactly: it chose the provider.
		v.id = identity{sub: headerSafe(sub), iss: p.issuerHeader}
	}
	return v
}

// parse splits raw, decodes header and claims within the limits and checks
// the header parameters the service must understand. raw is at most
// MaxTokenBytes long: bearerToken checked it.
func (s *Server) parse(raw string) (hdr, claims map[string]any, r Reason) {
	switch strings.Count(raw, ".") {
	case 2:
	case 4: // RFC 7516 7.1: the compact JWE has five parts.
		return nil, nil, ReasonEncryptedToken
	default:
		return nil, nil, ReasonMalformedToken
	}
	parts := strings.SplitN(raw, ".", 3)

	l := s.limits
	hdr, r = decodeObject(parts[0], l.MaxHeaderBytes, l.MaxJSONDepth, l.MaxClaims)
	if r != ReasonOK {
		return nil, nil, r
	}
	if r = checkHeader(hdr); r != ReasonOK {
		return nil, nil, r
	}
	claims, r = decodeObject(parts[1], l.MaxTokenBytes, l.MaxJSONDepth, l.MaxClaims)
	if r != ReasonOK {
		return nil, nil, r
	}
	return hdr, claims, ReasonOK
}

// checkHeader refuses JOSE headers the service cannot honour. Parameters that
// name a key or a key location (jwk, jku, x5u, x5c) need no check: they are
// never read, so they can neither choose a key nor cause a fetch.
func checkHeader(hdr map[string]any) Reason {
	if _, ok := hdr["alg"].(string); !ok {
		return ReasonMalformedToken
	}
	if _, ok := hdr["enc"]; ok {
		return ReasonEncryptedToken
	}
	// RFC 7515 4.1.11: a recipient that does not understand every listed
	// extension must reject the JWS, and this service understands none.
	if _, ok := hdr["crit"]; ok {
		return ReasonUnsupportedHeader
	}
	// RFC 7797: b64 false means an unencoded payload, which this service
	// does not verify; refusing it also avoids reading the payload two ways.
	if b64, ok := hdr["b64"]; ok && b64 != true {
		return ReasonUnsupportedHeader
	}
	if cty, _ := hdr["cty"].(string); mediaType(cty) == "jwt" {
		// RFC 7519 5.2: a nested JWT. Its inner token's claims would need a
		// second verification; RFC 8725 2.8 warns about this confusion.
		return ReasonNestedToken
	}
	for _, name := range []string{"kid", "typ", "cty"} {
		if v, ok := hdr[name]; ok {
			if _, isString := v.(string); !isString {
				return ReasonMalformedToken
			}
		}
	}
	return ReasonOK
}

// verifySignature reports whether the compact JWS raw carries a valid
// signature by key under alg, which must be supported (so never "none" or
// HMAC); the caller has checked it against the provider's allow-list. alg is
// the header's "alg" as the caller read it from the strictly decoded header:
// reading it again here, with a decoder that matches member names
// differently (encoding/json's struct fields ignore case), would let a
// member such as "ALG" choose the algorithm actually checked. It checks no claims, and does not need the payload to be JSON,
// so it also serves the RFC test vectors. golang-jwt's signing methods do
// the cryptography; its Parser is not used because it insists on a JSON
// payload.
func verifySignature(raw, alg string, key any) bool {
	input, sigSeg, _ := cutLast(raw, ".")
	if _, payload, ok := strings.Cut(input, "."); !ok || strings.Contains(payload, ".") {
		return false
	}
	kind, supported := algorithmKeys[alg]
	if !supported {
		return false
	}
	sig, err := b64url.DecodeString(sigSeg)
	if err != nil {
		return false
	}
	return kind.method.Verify(input, sig, key) == nil
}

// cutLast is strings.Cut at the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}
