// Package latencyproxy is a tiny reverse proxy for benchmarks: it forwards every request
// to a target after a fixed delay (a far-away registry on loopback) and counts requests.
// Optionally (SetHandshakeDelay) a new connection costs a delay of its own before its
// first request is read: the TCP handshake's round trip (plain HTTP, so no TLS round
// trips), so that a client opening connections for parallel requests pays for them as it
// would over a real network.
package latencyproxy

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy forwards to Target after Delay and counts requests (in all, and by method and
// kind: see Counts) and connections.
type Proxy struct {
	delay    atomic.Int64 // nanoseconds, per request
	connWait atomic.Int64 // nanoseconds, per new connection
	requests atomic.Int64
	conns    atomic.Int64
	srv      *httptest.Server

	mu     sync.Mutex
	counts Counts
}

// Counts are the requests since the last Reset, by method, and the GETs of manifests
// (/v2/<name>/manifests/<ref>) and of blobs (/v2/<name>/blobs/<digest>) apart.
type Counts struct {
	Requests     int
	Methods      map[string]int
	ManifestGets int
	BlobGets     int
}

func (p *Proxy) count(r *http.Request) {
	p.requests.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.counts.Methods == nil {
		p.counts.Methods = map[string]int{}
	}
	p.counts.Requests++
	p.counts.Methods[r.Method]++
	if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/v2/") {
		return
	}
	parts := strings.Split(r.URL.Path, "/")
	if len(parts) < 5 {
		return
	}
	switch parts[len(parts)-2] {
	case "manifests":
		p.counts.ManifestGets++
	case "blobs":
		p.counts.BlobGets++
	}
}

// Counts returns the requests counted since the last Reset.
func (p *Proxy) Counts() Counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.counts
	c.Methods = map[string]int{}
	for k, v := range p.counts.Methods {
		c.Methods[k] = v
	}
	return c
}

// Start listens on a free loopback port and forwards to target (http://host:port).
func Start(target string, delay time.Duration) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &Proxy{}
	p.delay.Store(int64(delay))
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 64, DialContext: (&net.Dialer{}).DialContext}
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.count(r)
		if d := time.Duration(p.delay.Load()); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	p.srv.Listener = &slowListener{Listener: p.srv.Listener, p: p}
	p.srv.Start()
	return p, nil
}

// slowListener counts accepted connections and makes each pay the handshake delay.
type slowListener struct {
	net.Listener
	p *Proxy
}

func (l *slowListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.p.conns.Add(1)
	return &slowConn{Conn: c, delay: time.Duration(l.p.connWait.Load())}, nil
}

// slowConn waits the delay before its first read: the handshake's round trip.
type slowConn struct {
	net.Conn
	delay time.Duration
	once  sync.Once
}

func (c *slowConn) Read(b []byte) (int, error) {
	c.once.Do(func() {
		if c.delay > 0 {
			time.Sleep(c.delay)
		}
	})
	return c.Conn.Read(b)
}

// Host is the proxy's host:port (use it as the registry name).
func (p *Proxy) Host() string { return p.srv.Listener.Addr().String() }

// SetDelay changes the per-request delay.
func (p *Proxy) SetDelay(d time.Duration) { p.delay.Store(int64(d)) }

// SetHandshakeDelay changes the delay of new connections (0: none).
func (p *Proxy) SetHandshakeDelay(d time.Duration) { p.connWait.Store(int64(d)) }

// Requests returns the number of requests forwarded since the last Reset.
func (p *Proxy) Requests() int64 { return p.requests.Load() }

// Connections returns the number of connections accepted since the last Reset.
func (p *Proxy) Connections() int64 { return p.conns.Load() }

// Reset zeroes the counters.
func (p *Proxy) Reset() {
	p.requests.Store(0)
	p.conns.Store(0)
	p.mu.Lock()
	p.counts = Counts{}
	p.mu.Unlock()
}

// Close stops the proxy.
func (p *Proxy) Close() { p.srv.Close() }
