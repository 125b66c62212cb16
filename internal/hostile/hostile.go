// Package hostile is a registry that lies, fails and stalls on demand, for tests of what
// publish and verify do against it. A Server sits in front of a real registry (ggcr's
// in-process one, or a reverse proxy to the local stack's distribution registry) and
// applies Rules to the requests they match: any status with any body, headers that lie,
// another object's body, a hang, a throttled or truncated body, a write answered as
// accepted but never stored. Requests no rule matches pass through unchanged, and every
// request is logged so tests can count what was asked.
package hostile

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/registry"
)

// Action answers a request a Rule matched. next is the upstream registry.
type Action func(w http.ResponseWriter, r *http.Request, next http.Handler)

// Rule applies an Action to the requests whose method and path match.
type Rule struct {
	s      *Server
	method string
	path   *regexp.Regexp
	action Action
	times  int // 0: every match
	hits   int
}

// Times limits the rule to its first n matches; later ones pass through. It returns r.
func (r *Rule) Times(n int) *Rule {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	r.times = n
	return r
}

// Hits returns how many requests the rule has answered.
func (r *Rule) Hits() int {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	return r.hits
}

// Remove takes the rule out; requests already in it finish as they were.
func (r *Rule) Remove() {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	for i, x := range r.s.rules {
		if x == r {
			r.s.rules = append(r.s.rules[:i], r.s.rules[i+1:]...)
			return
		}
	}
}

// Entry is one logged request and the status it got.
type Entry struct {
	Method, Path string
	Status       int
	Ruled        bool // a rule answered it
}

// Server is the hostile registry. The zero value is not usable; see NewRegistry and
// NewProxy.
type Server struct {
	upstream http.Handler
	closed   chan struct{}
	once     sync.Once

	mu    sync.Mutex
	rules []*Rule
	log   []Entry
}

// newServer returns a Server in front of upstream.
func newServer(upstream http.Handler) *Server {
	return &Server{upstream: upstream, closed: make(chan struct{})}
}

// NewRegistry returns a Server in front of a fresh in-process registry (ggcr's).
func NewRegistry() *Server {
	return newServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
}

// NewProxy returns a Server in front of the registry at target ("http://127.0.0.1:15000").
// Redirects and Location headers the registry sends name the proxy, so clients stay on it.
func NewProxy(target string) (*Server, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = u.Host
		},
		ErrorLog: log.New(io.Discard, "", 0),
		ModifyResponse: func(resp *http.Response) error {
			// The registry names itself in Location; keep clients on the proxy.
			if loc := resp.Header.Get("Location"); loc != "" {
				if l, err := url.Parse(loc); err == nil && l.Host == u.Host {
					l.Scheme, l.Host = "", ""
					resp.Header.Set("Location", l.String())
				}
			}
			return nil
		},
	}
	return newServer(p), nil
}

// On adds a rule for requests with method ("" for any) whose URL path matches the regular
// expression path (unanchored; "" matches every path). Later rules are tried after earlier
// ones; the first that matches answers.
func (s *Server) On(method, path string, a Action) *Rule {
	r := &Rule{s: s, method: method, path: regexp.MustCompile(path), action: a}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = append(s.rules, r)
	return r
}

// Clear removes every rule.
func (s *Server) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = nil
}

// Log returns the requests seen so far.
func (s *Server) Log() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Entry(nil), s.log...)
}

// Count returns how many logged requests had method ("" any) and a path matching path.
func (s *Server) Count(method, path string) int {
	re := regexp.MustCompile(path)
	n := 0
	for _, e := range s.Log() {
		if (method == "" || e.Method == method) && re.MatchString(e.Path) {
			n++
		}
	}
	return n
}

// Closed is closed when the server shuts down; hanging actions return then.
func (s *Server) Closed() <-chan struct{} { return s.closed }

// Close releases every hanging request. Start calls it at the test's cleanup.
func (s *Server) Close() { s.once.Do(func() { close(s.closed) }) }

// TB is the part of testing.TB that Start needs.
type TB interface {
	Helper()
	Cleanup(func())
}

// Start serves s on a loopback port until the test ends and returns its host:port (which
// go-containerregistry treats as plain HTTP).
func (s *Server) Start(t TB) string {
	t.Helper()
	hs := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); hs.Close() })
	return strings.TrimPrefix(hs.URL, "http://")
}

func (s *Server) match(r *http.Request) *Rule {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.rules {
		if x.method != "" && x.method != r.Method {
			continue
		}
		if !x.path.MatchString(r.URL.Path) {
			continue
		}
		if x.times > 0 && x.hits >= x.times {
			continue
		}
		x.hits++
		return x
	}
	return nil
}

// ServeHTTP applies the first matching rule, or passes the request to the upstream.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	rule := s.match(r)
	defer func() {
		s.mu.Lock()
		s.log = append(s.log, Entry{Method: r.Method, Path: r.URL.Path, Status: sw.status, Ruled: rule != nil})
		s.mu.Unlock()
	}()
	if rule == nil {
		s.upstream.ServeHTTP(sw, r)
		return
	}
	rule.action(sw, withServer(r, s), s.upstream)
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
