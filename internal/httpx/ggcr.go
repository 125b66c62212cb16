package httpx

import (
	"net/http"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// RemoteOptions returns the go-containerregistry options that send requests through t
// and switch off remote's own retries (of requests and of whole uploads), so that t's
// policy is the only one: without them remote retries 429 and 5xx three times on top.
func RemoteOptions(t http.RoundTripper) []remote.Option {
	return []remote.Option{
		remote.WithTransport(t),
		remote.WithRetryPredicate(func(error) bool { return false }),
		remote.WithRetryStatusCodes(),
	}
}
