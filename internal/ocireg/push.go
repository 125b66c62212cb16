package ocireg

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// PushBlob uploads content to repo as the blob SHA256(content) and returns that digest, in
// two requests where go-containerregistry's remote makes four (HEAD, POST, PATCH, PUT):
//
//   - a POST that asks the registry to mount the blob from repo itself: a registry that
//     holds it there answers 201 Created, and nothing is sent (the existence check);
//   - otherwise (202 Accepted) one PUT of the bytes, with the digest, to the upload
//     location the POST answered (the distribution spec's monolithic upload).
//
// uploaded is true only when the registry itself took our bytes (the PUT, to an upload
// location on the registry's own host, answered 201). A mount's 201 is the registry's
// word that it holds the blob, and an upload location on another host is not the registry:
// then uploaded is false, and a caller that relies on the blob reads it back. Redirects are
// not followed (a 3xx is an error). It goes through an authenticated
// transport with push scope for repo, made once per repository (one ping and token).
// Failures are go-containerregistry's *transport.Error for a status other than the
// expected (the registry's answer) or the transport's error, as go-containerregistry's
// writes return them.
func (c *Client) PushBlob(ctx context.Context, repo name.Repository, content []byte) (h v1.Hash, uploaded bool, err error) {
	h = SHA256(content)
	t, err := c.pushTransport(ctx, repo)
	if err != nil {
		return h, false, err
	}
	// A redirect would carry the POST or PUT elsewhere (net/http follows it as a GET):
	// the answer is the registry's own, or an error.
	hc := &http.Client{Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	u := url.URL{Scheme: repo.Registry.Scheme(), Host: repo.RegistryStr(), Path: "/v2/" + repo.RepositoryStr() + "/blobs/uploads/",
		RawQuery: url.Values{"mount": {h.String()}, "from": {repo.RepositoryStr()}}.Encode()}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), nil)
	if err != nil {
		return h, false, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return h, false, err
	}
	defer drain(resp)
	if err := transport.CheckError(resp, http.StatusCreated, http.StatusAccepted); err != nil {
		return h, false, err
	}
	if resp.StatusCode == http.StatusCreated {
		return h, false, nil // mounted: the registry says the repository holds it
	}
	loc, err := resp.Location()
	if err != nil {
		return h, false, err
	}
	ownHost := loc.Scheme == u.Scheme && loc.Host == u.Host
	q := loc.Query()
	q.Set("digest", h.String())
	loc.RawQuery = q.Encode()
	put, err := http.NewRequestWithContext(ctx, http.MethodPut, loc.String(), bytes.NewReader(content))
	if err != nil {
		return h, false, err
	}
	put.Header.Set("Content-Type", "application/octet-stream")
	resp, err = hc.Do(put)
	if err != nil {
		return h, false, err
	}
	defer drain(resp)
	if err := transport.CheckError(resp, http.StatusCreated); err != nil {
		return h, false, err
	}
	return h, ownHost, nil
}

// drain reads what is left of a small answer's body (so the connection is reused) and
// closes it.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
}

// pushTransport returns the authenticated transport with push scope for repo, creating it
// (ping, token) on first use.
func (c *Client) pushTransport(ctx context.Context, repo name.Repository) (http.RoundTripper, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := "push " + repo.Name()
	if t, ok := c.transports[key]; ok {
		return t, nil
	}
	auth, err := c.keychain.Resolve(repo.Registry)
	if err != nil {
		return nil, err
	}
	t, err := transport.NewWithContext(ctx, repo.Registry, auth, c.base, []string{repo.Scope(transport.PushScope)})
	if err != nil {
		return nil, err
	}
	c.transports[key] = t
	return t, nil
}
