package authz

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
)

// errTooComplex marks JSON deeper or wider than the limits allow.
var errTooComplex = errors.New("json too complex")

// decodeObject base64url-decodes one segment of a compact JWS and parses it
// as a JSON object, within limits checked before any full parse: at most
// maxBytes decoded bytes, maxDepth levels and maxMembers top-level members.
// Numbers stay json.Number, so no value overflows while being read.
//
// Duplicate top-level members are refused: RFC 7515 4 lets a parser reject
// them, and two readers of one token must not see two different claims.
func decodeObject(seg string, maxBytes, maxDepth, maxMembers int) (map[string]any, Reason) {
	if base64.RawURLEncoding.DecodedLen(len(seg)) > maxBytes {
		return nil, ReasonTokenTooLarge
	}
	// Strict decoding refuses non-zero padding bits, so no two encodings of
	// one segment exist and every change to a segment changes its bytes.
	b, err := base64.RawURLEncoding.Strict().DecodeString(seg)
	if err != nil {
		return nil, ReasonMalformedToken
	}

	if err := checkShape(b, maxDepth, maxMembers); err != nil {
		if errors.Is(err, errTooComplex) {
			return nil, ReasonTooComplex
		}
		return nil, ReasonMalformedToken
	}

	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, ReasonMalformedToken
	}
	return obj, ReasonOK
}

// checkShape reads b token by token and fails unless it is one JSON object
// within the depth and member limits, without duplicate top-level names.
func checkShape(b []byte, maxDepth, maxMembers int) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	seen := make(map[string]bool)
	for dec.More() {
		if len(seen) >= maxMembers {
			return errTooComplex
		}
		t, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := t.(string)
		if seen[name] {
			return errors.New("duplicate member")
		}
		seen[name] = true
		if err := skipValue(dec, 1, maxDepth); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	return nil
}

// skipValue reads one value at depth (the depth of its container) and
// fails when it nests deeper than maxDepth. The recursion is bounded by
// maxDepth.
func skipValue(dec *json.Decoder, depth, maxDepth int) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := t.(json.Delim)
	if !ok {
		return nil
	}
	if depth+1 > maxDepth {
		return errTooComplex
	}
	for dec.More() {
		if d == '{' {
			if _, err := dec.Token(); err != nil { // member name
				return err
			}
		}
		if err := skipValue(dec, depth+1, maxDepth); err != nil {
			return err
		}
	}
	_, err = dec.Token() // the closing delimiter
	return err
}
