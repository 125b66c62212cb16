package ocireg

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Head makes one HEAD of ref's manifest, accepting the media types in acc, and returns
// the sha256 digest its Docker-Content-Digest header names, or ok false when the answer
// (a 200) has no such header or names another algorithm: the caller then GETs. The
// digest is the registry's claim, never a proof: a caller uses it only to pick content
// it already holds under that digest (and has hashed), or to GET by it. A 404 is
// ErrNotFound; any other status or failure is an *Error (could not check).
func (c *Client) Head(ctx context.Context, ref name.Reference, acc Accept) (h v1.Hash, ok bool, err error) {
	what := "manifest " + ref.String() + " (HEAD)"
	repo := ref.Context()
	t, err := c.Transport(ctx, repo)
	if err != nil {
		return v1.Hash{}, false, err
	}
	u := url.URL{Scheme: repo.Registry.Scheme(), Host: repo.RegistryStr(), Path: "/v2/" + repo.RepositoryStr() + "/manifests/" + ref.Identifier()}
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, u.String(), nil)
	if err != nil {
		return v1.Hash{}, false, failed(what, err)
	}
	if len(acc) > 0 {
		req.Header.Set("Accept", strings.Join(acc, ", "))
	}
	if c.beforeGet != nil {
		c.beforeGet(ctx) // a round trip like a GET
	}
	resp, err := (&http.Client{Transport: t}).Do(req)
	if err != nil {
		return v1.Hash{}, false, failed(what, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return v1.Hash{}, false, statusError(what, resp)
	}
	d, err := v1.NewHash(resp.Header.Get("Docker-Content-Digest"))
	if err != nil || d.Algorithm != "sha256" {
		return v1.Hash{}, false, nil
	}
	return d, true, nil
}
