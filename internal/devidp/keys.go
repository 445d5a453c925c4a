package devidp

// signingKey is one of the issuer's keys with its public JWK, encoded once.
type signingKey struct {
	*Signer
	jwk map[string]any
}

// generateKeys makes the issuer's keys: ES256 first (it signs by default),
// then RS256, with key ids dev-ALG-<hex>.
func generateKeys() ([]*signingKey, error) {
	var keys []*signingKey
	for _, alg := range []string{"ES256", "RS256"} {
		s, err := NewSigner("dev-"+alg, alg)
		if err != nil {
			return nil, err
		}
		jwk, err := s.JWK()
		if err != nil {
			return nil, err
		}
		keys = append(keys, &signingKey{Signer: s, jwk: jwk})
	}
	return keys, nil
}
