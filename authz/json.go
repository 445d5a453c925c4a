package authz

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"
)

// errTooComplex marks JSON deeper or wider than the limits allow.
var errTooComplex = errors.New("json too complex")

// b64url is the only base64 the service reads: strict decoding refuses
// non-zero padding bits, so no two encodings of one segment exist and every
// change to a segment changes its bytes.
var b64url = base64.RawURLEncoding.Strict()

// decodeObject base64url-decodes one segment of a compact JWS and parses it
// as a JSON object within limits: at most maxBytes decoded bytes, maxDepth
// levels and maxMembers top-level members. Numbers stay json.Number, so no
// value overflows while being read.
//
// Duplicate top-level members are refused: RFC 7515 4 lets a parser reject
// them, and two readers of one token must not see two different claims.
func decodeObject(seg string, maxBytes, maxDepth, maxMembers int) (map[string]any, Reason) {
	if b64url.DecodedLen(len(seg)) > maxBytes {
		return nil, ReasonTokenTooLarge
	}
	b, err := b64url.DecodeString(seg)
	// RFC 8259 8.1 and RFC 7515 2: the JSON is UTF-8. encoding/json would
	// read invalid bytes as U+FFFD, so two readers could see two values.
	if err != nil || !utf8.Valid(b) {
		return nil, ReasonMalformedToken
	}
	obj, err := readObject(b, maxDepth, maxMembers)
	switch {
	case errors.Is(err, errTooComplex):
		return nil, ReasonTooComplex
	case err != nil:
		return nil, ReasonMalformedToken
	}
	return obj, ReasonOK
}

// readObject reads b token by token into one JSON object, failing as soon
// as it nests deeper than maxDepth, has more than maxMembers top-level
// members or a duplicate top-level name, or is followed by more data. The
// limits are checked on the tokens the value is built from, so hostile JSON
// is never parsed in full, and it is parsed once.
func readObject(b []byte, maxDepth, maxMembers int) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	obj := make(map[string]any)
	for dec.More() {
		if len(obj) >= maxMembers {
			return nil, errTooComplex
		}
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := t.(string)
		if _, dup := obj[name]; dup {
			return nil, errors.New("duplicate member")
		}
		if obj[name], err = readValue(dec, 1, maxDepth); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return obj, nil
}

// readValue reads one value at depth (the depth of its container), as
// encoding/json would decode it into an any, and fails when it nests deeper
// than maxDepth. The recursion is bounded by maxDepth. Nested objects keep
// the last of duplicate names, as encoding/json does.
func readValue(dec *json.Decoder, depth, maxDepth int) (any, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	d, ok := t.(json.Delim)
	if !ok {
		return t, nil // string, json.Number, bool or nil
	}
	if depth+1 > maxDepth {
		return nil, errTooComplex
	}
	if d == '[' {
		arr := []any{}
		for dec.More() {
			v, err := readValue(dec, depth+1, maxDepth)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err = dec.Token() // the closing bracket
		return arr, err
	}
	m := map[string]any{}
	for dec.More() {
		t, err := dec.Token() // member name
		if err != nil {
			return nil, err
		}
		name, _ := t.(string)
		if m[name], err = readValue(dec, depth+1, maxDepth); err != nil {
			return nil, err
		}
	}
	_, err = dec.Token() // the closing brace
	return m, err
}
