package httpx

import (
	"net/http"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/mcpbuild/mcpbuild/fault"
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

// KindOf is fault.KindOf knowing go-containerregistry's errors too: a *transport.Error
// with status 429 or 5xx is fault.Unreachable (the transport hands remote the last answer
// of its retries as it is). Any other status is not classified here: only a 404 proves
// absence, and only the caller knows what it asked for.
func KindOf(err error) fault.Kind { return fault.Classifier(registryStatus).KindOf(err) }

func registryStatus(err error) fault.Kind {
	if te, ok := err.(*transport.Error); ok && (te.StatusCode == http.StatusTooManyRequests || te.StatusCode >= 500) {
		return fault.Unreachable
	}
	return fault.Unknown
}
