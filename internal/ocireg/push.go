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
// The registry's word that it holds the blob is taken as it is, as a HEAD's would be: a
// caller that needs it readable reads it back. It goes through an authenticated
// transport with push scope for repo, made once per repository (one ping and token).
// Failures are go-containerregistry's *transport.Error for a status other than the
// expected (the registry's answer) or the transport's error, as go-containerregistry's
// writes return them.
func (c *Client) PushBlob(ctx context.Context, repo name.Repository, content []byte) (v1.Hash, error) {
	h := SHA256(content)
	t, err := c.pushTransport(ctx, repo)
	if err != nil {
		return h, err
	}
	hc := &http.Client{Transport: t}
	u := url.URL{Scheme: repo.Registry.Scheme(), Host: repo.RegistryStr(), Path: "/v2/" + repo.RepositoryStr() + "/blobs/uploads/",
		RawQuery: url.Values{"mount": {h.String()}, "from": {repo.RepositoryStr()}}.Encode()}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), nil)
	if err != nil {
		return h, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return h, err
	}
	defer drain(resp)
	if err := transport.CheckError(resp, http.StatusCreated, http.StatusAccepted); err != nil {
		return h, err
	}
	if resp.StatusCode == http.StatusCreated {
		return h, nil // mounted: the repository holds it
	}
	loc, err := resp.Location()
	if err != nil {
		return h, err
	}
	q := loc.Query()
	q.Set("digest", h.String())
	loc.RawQuery = q.Encode()
	put, err := http.NewRequestWithContext(ctx, http.MethodPut, loc.String(), bytes.NewReader(content))
	if err != nil {
		return h, err
	}
	put.Header.Set("Content-Type", "application/octet-stream")
	resp, err = hc.Do(put)
	if err != nil {
		return h, err
	}
	defer drain(resp)
	return h, transport.CheckError(resp, http.StatusCreated)
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
