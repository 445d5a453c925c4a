package devidp

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const maxBody = 64 << 10

func (i *Issuer) discovery(w http.ResponseWriter, _ *http.Request) {
	algs := make([]string, 0, len(i.keys))
	for _, k := range i.keys {
		algs = append(algs, k.Alg)
	}
	writeJSON(w, map[string]any{
		"issuer":                                i.url,
		"jwks_uri":                              i.url + "/jwks",
		"token_endpoint":                        i.url + "/token",
		"response_types_supported":              []string{"token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": algs,
	})
}

func (i *Issuer) jwks(w http.ResponseWriter, _ *http.Request) {
	keys := make([]map[string]any, 0, len(i.keys))
	for _, k := range i.keys {
		keys = append(keys, k.jwk)
	}
	writeJSON(w, map[string]any{"keys": keys})
}

// token mints a token. Form values: sub, aud (repeatable), alg (ES256 or
// RS256), ttl (a Go duration; negative gives an expired token). A JSON body
// holds claims that replace the defaults, iss included.
func (i *Issuer) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	claims, key, err := i.claims(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	signed, err := key.Sign(claims)
	if err != nil {
		http.Error(w, "signing failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, signed)
}

func (i *Issuer) claims(r *http.Request) (jwt.MapClaims, *signingKey, error) {
	var extra map[string]any
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/json" {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, nil, fmt.Errorf("reading body: %w", err)
		}
		if err := json.Unmarshal(body, &extra); err != nil {
			return nil, nil, fmt.Errorf("body must be a JSON object of claims: %w", err)
		}
	} else if err := r.ParseForm(); err != nil {
		return nil, nil, fmt.Errorf("parsing form: %w", err)
	}

	key := i.keys[0]
	if alg := r.FormValue("alg"); alg != "" {
		key = nil
		for _, k := range i.keys {
			if k.Alg == alg {
				key = k
			}
		}
		if key == nil {
			return nil, nil, fmt.Errorf("alg %q: want ES256 or RS256", alg)
		}
	}
	ttl := DefaultTTL
	if s := r.FormValue("ttl"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, nil, fmt.Errorf("ttl %q: want a Go duration such as 10m or -1h", s)
		}
		ttl = d
	}

	now := i.now()
	claims := jwt.MapClaims{
		"iss": i.url,
		"sub": formOr(r, "sub", DefaultSubject),
		"aud": DefaultAudience,
		"iat": now.Unix(),
		"exp": now.Add(ttl).Unix(),
	}
	if aud := r.Form["aud"]; len(aud) == 1 {
		claims["aud"] = aud[0]
	} else if len(aud) > 1 {
		claims["aud"] = aud
	}
	for k, v := range extra {
		claims[k] = v
	}
	return claims, key, nil
}

func formOr(r *http.Request, key, def string) string {
	if v := r.FormValue(key); v != "" {
		return v
	}
	return def
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	// The values are maps of strings built above; encoding cannot fail.
	json.NewEncoder(w).Encode(v)
}
