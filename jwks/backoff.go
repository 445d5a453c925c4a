package jwks

import "time"

// backoff returns the delay before retry number failures (1 for the first
// retry): initial doubled per failure, capped at maxDelay, with "equal
// jitter": half of it fixed and half drawn from rnd (values in [0, 1)), so
// that many instances failing together do not retry together, while the
// delay still grows.
func backoff(failures int, initial, maxDelay time.Duration, rnd func() float64) time.Duration {
	d := initial
	for i := 1; i < failures && d < maxDelay; i++ {
		d *= 2
	}
	d = min(d, maxDelay)
	return d/2 + time.Duration(rnd()*float64(d-d/2))
}
