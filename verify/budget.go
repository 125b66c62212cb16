package verify

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mcpbuild/mcpbuild/internal/ocireg"
)

// Memory limits of one verification against a hostile registry (doc.go).
const (
	// MaxImageBytes bounds what one verification reads from the registry (every response
	// body: manifests, configs, payloads, envelopes, bundles) plus what it decodes from
	// that (estimated: see chargeJSON and manifestCost). Real signatures and provenance take a few KiB to
	// tens of KiB; past the budget the verification stops reading and is indeterminate.
	MaxImageBytes = 32 << 20
	// MaxEnvelopeBytes bounds one DSSE envelope (.att layer) or one Sigstore bundle.
	MaxEnvelopeBytes = 4 << 20
	// MaxJSONValues bounds the values (objects, arrays, and their elements) of one JSON
	// document from the registry. A 4 MiB manifest of empty layers ({},{},...) would
	// otherwise decode into about 190 MiB of descriptors. Manifests are counted while
	// they are read (internal/ocireg), other documents before they are decoded.
	MaxJSONValues = ocireg.MaxJSONValues
)

// jsonValueCost is charged per JSON value decoded: about what the largest value decoded
// here (an OCI descriptor) takes in memory.
const jsonValueCost = 160

// readWindow is how many signatures, referrers or bundles are read at once: the common
// cases (one to a few) take one round trip, and a hostile list is read a few at a time.
const readWindow = 4

// Large items (declared over largeItem bytes: no real signature, envelope or bundle is)
// are read and decoded at most maxLargeItems at a time per Verifier, across all its
// verifications: a registry serving them to every image of a -j 8 run gets that much
// memory, not eight times the budget.
const (
	largeItem     = 1 << 20
	maxLargeItems = 2
)

// largeItems is the Verifier's semaphore of large items.
type largeItems chan struct{}

// acquire waits for a slot when size is large, and returns its release. A large item
// makes its verification heavy first (budget_heavy.go): a large-item slot is held only by
// verifications that hold a heavy slot, and so never wait for one.
func (l largeItems) acquire(ctx context.Context, size int64) (func(), error) {
	if size <= largeItem || l == nil {
		return func() {}, nil
	}
	if err := budgetOf(ctx).waitHeavy(ctx); err != nil {
		return nil, err
	}
	select {
	case l <- struct{}{}:
		return func() { <-l }, nil
	case <-ctx.Done():
		return nil, &readError{fmt.Errorf("waiting to read a large item: %w", ctx.Err())}
	}
}

// itemSize is what reading d's content brings into memory: its embedded data, else its
// declared size (a longer body is refused: readDescriptor reads no more).
func itemSize(d v1.Descriptor) int64 {
	if len(d.Data) > 0 {
		return int64(len(d.Data))
	}
	return d.Size
}

// truncated is the error of a list longer than what is examined: what was left out might
// have been the answer.
func truncated(what string, n int) error {
	return &readError{&limitError{fmt.Sprintf("%s lists %d entries; only the first %d are examined and none of them verifies", what, n, maxSignatures)}}
}

// budget counts the bytes one verification has read and decoded.
type budget struct {
	limit int64
	used  atomic.Int64
	h     heavyState // budget_heavy.go
}

type budgetKey struct{}

// withBudget gives ctx a fresh budget of MaxImageBytes, outside any run's heavy-image
// slots (it never waits).
func withBudget(ctx context.Context) context.Context { return (*heavySlots)(nil).withBudget(ctx) }

// withBudget gives ctx a fresh budget of MaxImageBytes whose verification takes one of
// h's slots past heavyImage (budget_heavy.go); give it back with done.
func (h *heavySlots) withBudget(ctx context.Context) context.Context {
	return context.WithValue(ctx, budgetKey{}, &budget{limit: MaxImageBytes, h: newHeavyState(h)})
}

// budgetOf returns ctx's budget, nil (unlimited) when it has none.
func budgetOf(ctx context.Context) *budget {
	b, _ := ctx.Value(budgetKey{}).(*budget)
	return b
}

// limitError says the registry served more than a limit allows: the registry failing
// (indeterminate), not a statement about the image.
type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }

// overBudget is the error of a read or decode refused by the budget.
func (b *budget) overBudget(what string) error {
	return &readError{&limitError{fmt.Sprintf("%s: content exceeds the per-image budget of %d bytes", what, b.limit)}}
}

// charge counts n bytes read or decoded; past the limit it returns the budget error.
func (b *budget) charge(n int64, what string) error {
	if b == nil {
		return nil
	}
	b.h.charged(n)
	if b.used.Add(n) > b.limit {
		return b.overBudget(what)
	}
	return nil
}

// fits reports (as an error) whether n more bytes would exceed the budget, charging
// nothing: for sizes declared before a read.
func (b *budget) fits(n int64, what string) error {
	if b == nil || b.used.Load()+n <= b.limit {
		return nil
	}
	return b.overBudget(what)
}

// readDescriptor reads a descriptor's content (embedded or as a blob) at most limit
// bytes (getBlob refuses a declared size over limit, and reads no more than the declared
// size), refusing before any read a declared size over what is left of the budget, and
// taking a heavy slot first when the read makes the verification heavy (admit; the bytes
// read are charged by the transport).
func (v *Verifier) readDescriptor(ctx context.Context, repo name.Repository, d v1.Descriptor, limit int64) ([]byte, error) {
	if len(d.Data) == 0 && d.Size <= limit {
		if err := budgetOf(ctx).admit(ctx, d.Size, fmt.Sprintf("blob %s@%s", repo, d.Digest)); err != nil {
			return nil, err
		}
	}
	return v.reg.descriptorContent(ctx, repo, d, limit)
}

// chargeJSON refuses a JSON document from the registry with more than MaxJSONValues
// values and charges the budget for decoding it: its length again (decoded strings) and
// jsonValueCost per value, plus extra for other copies the decoder makes (base64). When
// that makes the verification heavy, it first waits for a heavy slot (admit).
func chargeJSON(ctx context.Context, raw []byte, extra int64, what string) error {
	n, err := ocireg.CountJSONValues(raw, what)
	if err != nil {
		return &readError{err}
	}
	b, cost := budgetOf(ctx), int64(len(raw))+int64(n)*jsonValueCost+extra
	if err := b.admit(ctx, cost, "decoding "+what); err != nil {
		return err
	}
	return b.charge(cost, "decoding "+what)
}

// imageOf returns the image manifest m holds (a read by AcceptImage has one); its
// decoding was charged when it was read (manifestRead).
func imageOf(m *manifest, what string) (*v1.Manifest, error) {
	if m.Image == nil {
		return nil, badContent("%s %s is not an image manifest", what, m.Digest)
	}
	return m.Image, nil
}

// manifestCost bounds what decoding a manifest of size bytes takes: its length again
// (decoded strings) and jsonValueCost per value, at most one value per 1.5 bytes ("{},")
// and at most MaxJSONValues.
func manifestCost(size int64) int64 {
	return size + min(2*size/3+1, MaxJSONValues)*jsonValueCost
}

// manifestRead is verify's ocireg.ManifestHook. Before a manifest's body is read, it
// reserves in ctx's budget the cost of decoding the most the body can be (size: the
// declared length, else the manifest limit; the bytes themselves are charged as they
// are read, by budgetTransport), and takes a slot of l when that is large, so that the
// buffer and its decoding are held by at most maxLargeItems reads at a time. Once the
// manifest is decoded, the slot is given back, and so is the reservation past the bytes
// actually read. When the read makes the verification heavy and no heavy slot is free,
// it refuses with errNeedSlot instead of waiting with the response open: the caller
// waits with nothing held and reads again (readManifest).
func (l largeItems) manifestRead(ctx context.Context, what string, size int64) (func(int64), error) {
	b := budgetOf(ctx)
	if err := b.fits(manifestCost(size), "decoding "+what); err != nil {
		return nil, err
	}
	if err := b.tryHeavy(size + manifestCost(size)); err != nil {
		return nil, err
	}
	if err := b.charge(manifestCost(size), "decoding "+what); err != nil {
		_ = b.charge(-manifestCost(size), what) // refused: nothing is held
		return nil, err
	}
	release, err := l.acquire(ctx, size)
	if err != nil {
		_ = b.charge(-manifestCost(size), what)
		return nil, err
	}
	return func(read int64) {
		release()
		_ = b.charge(manifestCost(read)-manifestCost(size), what)
	}, nil
}

// budgetTransport charges every response body read to the request context's budget,
// refusing at once a body whose declared length exceeds what is left.
type budgetTransport struct{ inner http.RoundTripper }

func (t budgetTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.inner.RoundTrip(req)
	b := budgetOf(req.Context())
	if err != nil || b == nil {
		return resp, err
	}
	if err := b.fits(resp.ContentLength, "response "+req.URL.Redacted()); err != nil {
		resp.Body.Close()
		return nil, err
	}
	resp.Body = &budgetBody{rc: resp.Body, b: b, what: "response " + req.URL.Redacted()}
	return resp, nil
}

type budgetBody struct {
	rc   io.ReadCloser
	b    *budget
	what string
}

func (r *budgetBody) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	if cerr := r.b.charge(int64(n), r.what); cerr != nil {
		return 0, cerr
	}
	return n, err
}

func (r *budgetBody) Close() error { return r.rc.Close() }
