package authz

import (
	"io"
	"net/http"
)

// serveHTTP is the forward-auth handler. nginx's auth_request copies the
// identity response headers upstream with auth_request_set; the proxy must
// strip client-sent copies itself (see README).
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	v := s.judge(r.Context(), "http", r.Header.Values("Authorization"))

	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if v.reason == ReasonOK {
		for _, p := range v.id.pairs() {
			if p[1] != "" {
				h.Set(p[0], p[1])
			}
		}
		w.WriteHeader(http.StatusOK)
		return
	}

	info := v.reason.info()
	if a := info.wwwAuthenticate; a != "" {
		h.Set("WWW-Authenticate", a)
	}
	h.Set("Content-Type", denyContentType)
	w.WriteHeader(info.httpStatus)
	// A failed write means the client went away; there is no one to tell.
	_, _ = io.WriteString(w, info.body)
}
