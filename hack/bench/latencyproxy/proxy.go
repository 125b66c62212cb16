// Package latencyproxy is a tiny reverse proxy for benchmarks: it forwards every request
// to a target after a fixed delay (a far-away registry on loopback) and counts requests.
package latencyproxy

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"time"
)

// Proxy forwards to Target after Delay and counts requests.
type Proxy struct {
	delay    atomic.Int64 // nanoseconds
	requests atomic.Int64
	srv      *httptest.Server
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
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		if d := time.Duration(p.delay.Load()); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	return p, nil
}

// Host is the proxy's host:port (use it as the registry name).
func (p *Proxy) Host() string { return p.srv.Listener.Addr().String() }

// SetDelay changes the per-request delay.
func (p *Proxy) SetDelay(d time.Duration) { p.delay.Store(int64(d)) }

// Requests returns the number of requests forwarded since the last Reset.
func (p *Proxy) Requests() int64 { return p.requests.Load() }

// Reset zeroes the request counter.
func (p *Proxy) Reset() { p.requests.Store(0) }

// Close stops the proxy.
func (p *Proxy) Close() { p.srv.Close() }
