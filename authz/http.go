package authz

import (
	"io"
	"net/http"
)

// serveHTTP is the forward-auth handler. nginx's auth_request copies the
// identity response headers upstream with auth_request_set; the proxy must
// strip client-sent copies itself (see README).
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	v := s.decide(r.Context(), r.Header.Values("Authorization"), start)
	s.record(r.Context(), "http", v, start)

	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if v.reason == ReasonOK {
		for _, p := range identityOf(v.claims).pairs() {
			if p[1] != "" {
				h.Set(p[0], p[1])
			}
		}
		w.WriteHeader(http.StatusOK)
		return
	}

	info := v.reason.info()
	if a := v.reason.wwwAuthenticate(); a != "" {
		h.Set("WWW-Authenticate", a)
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(info.httpStatus)
	// A failed write means the client went away; there is no one to tell.
	_, _ = io.WriteString(w, info.body)
}
