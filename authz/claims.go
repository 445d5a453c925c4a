package authz

import (
	"encoding/json"
	"math"
	"strconv"
	"time"
)

// maxNumericDate is 9999-12-31T23:59:59Z. Later dates are not plausible
// token times and would overflow some consumers' date types.
const maxNumericDate = 253402300799

// checkClaims applies RFC 7519 4.1's registered claims and the provider's own
// constraints to claims, whose signature has been verified. iss was matched
// exactly when the provider was chosen.
func checkClaims(p *provider, claims map[string]any, now time.Time) Reason {
	if r := checkTimes(p, claims, now); r != ReasonOK {
		return r
	}
	if r := checkAudience(p, claims["aud"]); r != ReasonOK {
		return r
	}
	for _, name := range p.RequiredClaims {
		if claims[name] == nil {
			return ReasonMissingClaim
		}
	}

	sub, hasSub := claims["sub"]
	subject, isString := sub.(string)
	switch {
	case hasSub && !isString:
		return ReasonBadClaim
	case len(p.subjects) == 0:
		return ReasonOK
	case !hasSub:
		return ReasonMissingClaim
	}
	for _, re := range p.subjects {
		if re.MatchString(subject) {
			return ReasonOK
		}
	}
	return ReasonSubjectNotAllowed
}

// checkTimes checks exp (required), nbf and iat with the provider's skew,
// and the provider's maximum lifetime.
func checkTimes(p *provider, claims map[string]any, now time.Time) Reason {
	exp, r := numericDate(claims, "exp", true)
	if r != ReasonOK {
		return r
	}
	nbf, r := numericDate(claims, "nbf", false)
	if r != ReasonOK {
		return r
	}
	iat, r := numericDate(claims, "iat", p.MaxLifetime > 0)
	if r != ReasonOK {
		return r
	}

	skew := p.ClockSkew
	switch {
	case !now.Before(exp.Add(skew)): // RFC 7519 4.1.4: now must be before exp.
		return ReasonExpired
	case !nbf.IsZero() && now.Add(skew).Before(nbf):
		return ReasonNotYetValid
	case !iat.IsZero() && now.Add(skew).Before(iat):
		// Issued in the future: a skewed or forging issuer.
		return ReasonNotYetValid
	case p.MaxLifetime > 0 && exp.Before(iat):
		return ReasonBadClaim
	case p.MaxLifetime > 0 && exp.Sub(iat) > p.MaxLifetime:
		return ReasonLifetimeTooLong
	}
	return ReasonOK
}

// numericDate reads claim name as an RFC 7519 2 NumericDate: a JSON number
// of seconds since the epoch, possibly fractional. Strings, out-of-range
// values and numbers that do not fit a float64 are a bad claim. An absent
// claim gives the zero time, or ReasonMissingClaim when required.
func numericDate(claims map[string]any, name string, required bool) (time.Time, Reason) {
	v, ok := claims[name]
	if !ok || v == nil {
		if required {
			return time.Time{}, ReasonMissingClaim
		}
		return time.Time{}, ReasonOK
	}
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, ReasonBadClaim
	}
	// ParseFloat fails with ErrRange on huge exponents instead of
	// overflowing; the range check then keeps the int64 conversion exact.
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > maxNumericDate {
		return time.Time{}, ReasonBadClaim
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), ReasonOK
}

// checkAudience requires aud, a string or an array of strings, to hold one
// of the provider's audiences (RFC 7519 4.1.3).
func checkAudience(p *provider, aud any) Reason {
	switch a := aud.(type) {
	case nil:
		return ReasonMissingClaim
	case string:
		if p.audiences[a] {
			return ReasonOK
		}
	case []any:
		var found bool
		for _, e := range a {
			s, ok := e.(string)
			if !ok {
				return ReasonBadClaim
			}
			found = found || p.audiences[s]
		}
		if found {
			return ReasonOK
		}
	default:
		return ReasonBadClaim
	}
	return ReasonWrongAudience
}
