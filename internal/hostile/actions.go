package hostile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

type serverKey struct{}

func withServer(r *http.Request, s *Server) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), serverKey{}, s))
}

func closedOf(r *http.Request) <-chan struct{} {
	if s, ok := r.Context().Value(serverKey{}).(*Server); ok {
		return s.closed
	}
	return nil
}

// Response is an upstream answer an Edit action may change before it is sent.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// record runs the upstream for r and returns its whole answer.
func record(next http.Handler, r *http.Request) *Response {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	return &Response{Status: rec.Code, Header: rec.Header().Clone(), Body: rec.Body.Bytes()}
}

// writeHead sends the status and headers, with the Content-Length of the whole body.
func (resp *Response) writeHead(w http.ResponseWriter) {
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(resp.Body)))
	w.WriteHeader(resp.Status)
}

func (resp *Response) send(w http.ResponseWriter, r *http.Request) {
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	if r.Method != http.MethodHead {
		w.Header().Set("Content-Length", strconv.Itoa(len(resp.Body)))
	}
	w.WriteHeader(resp.Status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(resp.Body)
	}
}

// Respond answers with status and body, whatever the request; headers are name, value
// pairs (Content-Type among them, if wanted).
func Respond(status int, body string, headers ...string) Action {
	if len(headers)%2 != 0 {
		panic("hostile.Respond: headers must be name, value pairs")
	}
	return func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
		for i := 0; i < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			_, _ = io.WriteString(w, body)
		}
	}
}

// Fail answers status with a registry error body whose code is code (e.g.
// "MANIFEST_UNKNOWN" with a 500: a registry that lies about absence).
func Fail(status int, code string) Action {
	return Respond(status, fmt.Sprintf(`{"errors":[{"code":%q,"message":"hostile"}]}`, code),
		"Content-Type", "application/json")
}

// Hang never answers: it returns only when the client gives up or the server closes.
func Hang() Action {
	return func(_ http.ResponseWriter, r *http.Request, _ http.Handler) {
		select {
		case <-r.Context().Done():
		case <-closedOf(r):
		}
	}
}

// HangBody sends the upstream's status and headers and then stalls before the body.
func HangBody() Action {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		resp := record(next, r)
		resp.writeHead(w)
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		select {
		case <-r.Context().Done():
		case <-closedOf(r):
		}
	}
}

// Throttle sends the upstream's answer at about bytesPerSecond, in small chunks.
func Throttle(bytesPerSecond int) Action {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		resp := record(next, r)
		resp.writeHead(w)
		chunk := max(1, bytesPerSecond/20)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for b := resp.Body; len(b) > 0 && r.Method != http.MethodHead; {
			n := min(chunk, len(b))
			if _, err := w.Write(b[:n]); err != nil {
				return
			}
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
			b = b[n:]
			select {
			case <-tick.C:
			case <-r.Context().Done():
				return
			case <-closedOf(r):
				return
			}
		}
	}
}

// Truncate sends the upstream's status and headers (its full Content-Length) but only the
// first n bytes of the body, then drops the connection.
func Truncate(n int) Action {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		resp := record(next, r)
		resp.writeHead(w)
		_, _ = w.Write(resp.Body[:min(n, len(resp.Body))])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		panic(http.ErrAbortHandler) // the server closes the connection mid-body
	}
}

// Edit passes the request on and lets fn change the answer (status, headers, body) before
// it is sent.
func Edit(fn func(r *http.Request, resp *Response)) Action {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		resp := record(next, r)
		fn(r, resp)
		resp.send(w, r)
	}
}

// SetHeader answers as the upstream does, with header name set to value (a lie).
func SetHeader(name, value string) Action {
	return Edit(func(_ *http.Request, resp *Response) { resp.Header.Set(name, value) })
}

// ServeFrom answers with the upstream's answer for another path (same method and query):
// another object's body and headers, e.g. a signed manifest's for an unsigned digest.
func ServeFrom(path string) Action {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		r2 := r.Clone(r.Context())
		r2.URL.Path, r2.URL.RawPath = path, ""
		r2.RequestURI = ""
		record(next, r2).send(w, r)
	}
}

var dropped atomic.Int64

// DropWrite answers a write as a registry that accepted it would, and stores nothing:
// manifest PUTs get 201 with the body's digest; blob upload POST and PATCH get 202 with an
// upload location, and the closing PUT 201 with the digest it names. Other methods pass.
func DropWrite() Action {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		p := r.URL.Path
		repo := p
		for _, sep := range []string{"/manifests/", "/blobs/"} {
			if i := strings.Index(p, sep); i >= 0 {
				repo = p[:i]
			}
		}
		switch {
		case r.Method == http.MethodPut && strings.Contains(p, "/manifests/"):
			body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
			sum := sha256.Sum256(body)
			d := "sha256:" + hex.EncodeToString(sum[:])
			w.Header().Set("Docker-Content-Digest", d)
			w.Header().Set("Location", repo+"/manifests/"+d)
			w.WriteHeader(http.StatusCreated)
		case r.Method == http.MethodPost && strings.Contains(p, "/blobs/uploads"):
			if d := r.URL.Query().Get("digest"); d != "" { // monolithic upload
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set("Docker-Content-Digest", d)
				w.Header().Set("Location", repo+"/blobs/"+d)
				w.WriteHeader(http.StatusCreated)
				return
			}
			w.Header().Set("Location", fmt.Sprintf("%s/blobs/uploads/dropped-%d", repo, dropped.Add(1)))
			w.Header().Set("Range", "0-0")
			w.WriteHeader(http.StatusAccepted)
		case r.Method == http.MethodPatch && strings.Contains(p, "/blobs/uploads/"):
			n, _ := io.Copy(io.Discard, r.Body)
			w.Header().Set("Location", p)
			w.Header().Set("Range", fmt.Sprintf("0-%d", max(0, n-1)))
			w.WriteHeader(http.StatusAccepted)
		case r.Method == http.MethodPut && strings.Contains(p, "/blobs/uploads/"):
			_, _ = io.Copy(io.Discard, r.Body)
			d := r.URL.Query().Get("digest")
			w.Header().Set("Docker-Content-Digest", d)
			w.Header().Set("Location", repo+"/blobs/"+d)
			w.WriteHeader(http.StatusCreated)
		default:
			next.ServeHTTP(w, r)
		}
	}
}

// Sequence answers the n-th matching request with actions[n], and every later one with
// the last action: e.g. a 404 first (a lagging replica), then the truth.
func Sequence(actions ...Action) Action {
	var n atomic.Int64
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		i := int(n.Add(1) - 1)
		actions[min(i, len(actions)-1)](w, r, next)
	}
}

// Pass hands the request to the upstream unchanged (e.g. as a step of Sequence).
func Pass() Action {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) { next.ServeHTTP(w, r) }
}
