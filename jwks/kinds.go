package jwks

import "errors"

// Kinds of fetch failure: the closed set of values of the kind label of
// extauthz_jwks_fetch_errors_total. A fetch fails with exactly one kind.
const (
	KindConnect        = "connect"         // no connection, or it broke
	KindTimeout        = "timeout"         // the per-fetch timeout ran out
	KindStatus         = "status"          // an HTTP status other than 200 (or 304)
	KindTooLarge       = "too_large"       // body over MaxResponseBytes
	KindContent        = "content"         // not JSON (an HTML error page, say)
	KindJSON           = "json"            // invalid JSON or not the expected document
	KindNoKeys         = "no_keys"         // a JWK set with no usable key
	KindTooManyKeys    = "too_many_keys"   // a JWK set with more than MaxKeys keys
	KindIssuerMismatch = "issuer_mismatch" // discovery names another issuer
	KindInsecureURL    = "insecure_url"    // a URL the rules refuse (http://, no host)
	KindRedirect       = "redirect"        // too many redirects, or one changing the scheme
)

// fetchError is a failed fetch and its kind.
type fetchError struct {
	kind string
	err  error
}

func (e *fetchError) Error() string { return e.err.Error() }
func (e *fetchError) Unwrap() error { return e.err }

// kindErr wraps err with its kind.
func kindErr(kind string, err error) error { return &fetchError{kind: kind, err: err} }

// errorKind returns err's kind; an error of no kind counts as connect, the
// kind whose remedy (look at the network) fits an unclassified failure.
func errorKind(err error) string {
	if fe, ok := errors.AsType[*fetchError](err); ok {
		return fe.kind
	}
	return KindConnect
}
