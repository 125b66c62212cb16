package sign_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	ggcrmutate "github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	cosignmutate "github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"

	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/sign"
)

// Paths the hostile rules match: the .sig and .att tags, the image tag and the image by digest.
const (
	sigPath      = `/manifests/sha256-[0-9a-f]{64}\.sig$`
	attPath      = `/manifests/sha256-[0-9a-f]{64}\.att$`
	imageTagPath = `/v2/mcp/alpha/manifests/latest$`
	imageDigPath = `/v2/mcp/alpha/manifests/sha256:`
)

// coSigned is an image, labelled with pinA and pushed by digest only (publish's build tags
// it), that other parties signed and attested before publish runs: key B with this package
// (signature and attestation) and a cosign-library append (a second signature by key B).
type coSigned struct {
	img            name.Digest
	job            sign.Job
	sig, att       name.Tag
	sigBefore      []v1.Descriptor
	attBefore      []v1.Descriptor
	rawSig, rawAtt []byte
}

func newCoSigned(t *testing.T, host string, builds *atomic.Int32) coSigned {
	t.Helper()
	ctx := context.Background()
	img, err := random.Image(32, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf.Config.Labels = map[string]string{sign.RevisionClaim: pinA}
	if img, err = ggcrmutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag(host + "/mcp/alpha:latest")
	d, _ := img.Digest()
	dig := tag.Context().Digest(d.String())
	if err := remote.Write(dig, img); err != nil {
		t.Fatal(err)
	}
	c := coSigned{img: dig}
	c.job = sign.Job{Name: "alpha", Image: tag, Commit: pinA, Source: "https://example.com/alpha.git",
		Build: func(ctx context.Context) (*sign.Built, error) {
			builds.Add(1)
			if err := remote.Write(tag, img, remote.WithContext(ctx)); err != nil {
				return nil, err
			}
			return &sign.Built{Image: dig, Provenance: statementFor(dig)}, nil
		}}

	svcB := newService(t, host, keyB, nil)
	if _, err := svcB.SignImage(ctx, dig, nil); err != nil {
		t.Fatal(err)
	}
	repo := svcB.Store().Repository()
	opts := []ociremote.Option{ociremote.WithTargetRepository(repo)}
	payload, _ := sign.Payload(dig, map[string]string{"by": "cosign"})
	sig, _ := mustSigner(t, keyB).Sign(ctx, payload)
	ociSig, _ := static.NewSignature(payload, base64.StdEncoding.EncodeToString(sig))
	se, err := cosignmutate.AttachSignatureToEntity(ociremote.SignedUnknown(dig, opts...), ociSig)
	if err != nil {
		t.Fatal(err)
	}
	if err := ociremote.WriteSignatures(dig.Repository, se, opts...); err != nil {
		t.Fatal(err)
	}
	if _, err := svcB.Attest(ctx, dig, statementFor(dig)); err != nil {
		t.Fatal(err)
	}
	c.sig = sign.Tag(repo, mustHash(t, dig), sign.SignatureSuffix)
	c.att = sign.Tag(repo, mustHash(t, dig), sign.AttestationSuffix)
	c.rawSig, c.sigBefore = manifestAt(t, c.sig)
	c.rawAtt, c.attBefore = manifestAt(t, c.att)
	if len(c.sigBefore) != 2 || len(c.attBefore) != 1 {
		t.Fatalf("setup: %d signature and %d attestation layers, want 2 and 1", len(c.sigBefore), len(c.attBefore))
	}
	return c
}

func manifestAt(t *testing.T, tag name.Tag) ([]byte, []v1.Descriptor) {
	t.Helper()
	d, err := remote.Get(tag)
	if err != nil {
		t.Fatalf("reading %s: %v", tag, err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(d.Manifest))
	if err != nil {
		t.Fatal(err)
	}
	return d.Manifest, m.Layers
}

// keeps checks (with every hostile rule removed) that tag still lists each of before,
// verbatim, and has extra layers more.
func keeps(t *testing.T, s *hostile.Server, tag name.Tag, before []v1.Descriptor, extra int) {
	t.Helper()
	s.Clear()
	_, now := manifestAt(t, tag)
	for i, b := range before {
		found := false
		for _, n := range now {
			found = found || descEqual(b, n)
		}
		if !found {
			t.Errorf("%s lost layer %d (%s) of another party", tag.TagStr(), i, b.Digest)
		}
	}
	if len(now) != len(before)+extra {
		t.Errorf("%s has %d layers, want %d kept + %d", tag.TagStr(), len(now), len(before), extra)
	}
}

// verifiesKeyB checks with cosign's own verification code that key B's two signatures on
// img still verify.
func verifiesKeyB(t *testing.T, s *hostile.Server, img name.Digest, repo name.Repository) {
	t.Helper()
	s.Clear()
	ctx := context.Background()
	pub, _ := mustSigner(t, keyB).PublicKey(ctx)
	v, err := cosignVerifier(pub)
	if err != nil {
		t.Fatal(err)
	}
	sigs, _, err := cosign.VerifyImageSignatures(ctx, img, &cosign.CheckOpts{
		SigVerifier: v, IgnoreTlog: true, ClaimVerifier: cosign.SimpleClaimVerifier,
		RegistryClientOpts: []ociremote.Option{ociremote.WithTargetRepository(repo)},
	})
	if err != nil || len(sigs) != 2 {
		t.Errorf("cosign verify with key B: %d signatures, %v; want 2", len(sigs), err)
	}
}

// afterPut installs rules on path: PUTs pass through and mark it written (only final
// PUTs when final, see isFinalPut); later GETs get action, earlier ones pass through.
func afterPut(s *hostile.Server, path string, final bool, action hostile.Action) {
	var put atomic.Bool
	s.On(http.MethodPut, path, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		mark := !final || isFinalPut(r)
		next.ServeHTTP(w, r)
		if mark {
			put.Store(true)
		}
	})
	s.On(http.MethodGet, path, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if put.Load() {
			action(w, r, next)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isFinalPut reports whether a manifest PUT is a final write (it stages nothing, see
// sign.PendingAnnotation); the body is left readable.
func isFinalPut(r *http.Request) bool {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	return !bytes.Contains(body, []byte(sign.PendingAnnotation))
}

// isStagingPut reports whether a manifest PUT stages an item (the body is left readable).
func isStagingPut(r *http.Request) bool { return !isFinalPut(r) }

// onPut answers the first n manifest PUTs to path that which accepts with action (n 0:
// all of them); the others pass through.
func onPut(s *hostile.Server, path string, which func(*http.Request) bool, n int32, action hostile.Action) {
	var hits atomic.Int32
	s.On(http.MethodPut, path, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if which(r) && (n == 0 || hits.Add(1) <= n) {
			action(w, r, next)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// onFinalPut answers every final manifest PUT to path with action.
func onFinalPut(s *hostile.Server, path string, action hostile.Action) {
	onPut(s, path, isFinalPut, 0, action)
}

// withoutLayer removes the layers with digest d from an image manifest (JSON kept as is
// otherwise).
func withoutLayer(t *testing.T, raw []byte, d v1.Hash) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Errorf("manifest: %v", err)
		return raw
	}
	var layers []map[string]any
	if err := json.Unmarshal(m["layers"], &layers); err != nil {
		t.Errorf("manifest layers: %v", err)
		return raw
	}
	kept := layers[:0]
	for _, l := range layers {
		if l["digest"] != d.String() {
			kept = append(kept, l)
		}
	}
	m["layers"], _ = json.Marshal(kept)
	out, _ := json.Marshal(m)
	return out
}

// withoutB serves the manifest without key B's first signature, as a registry that lost
// it would (without a Docker-Content-Digest naming the manifest that has it).
func withoutB(t *testing.T, c coSigned) hostile.Action {
	return hostile.Edit(func(_ *http.Request, resp *hostile.Response) {
		resp.Body = withoutLayer(t, resp.Body, c.sigBefore[0].Digest)
		resp.Header.Del("Docker-Content-Digest")
	})
}

// losesOnPut stores a manifest PUT without the layers of digest d: a registry (or a
// concurrent writer) that loses another party's layer.
func losesOnPut(t *testing.T, d v1.Hash) hostile.Action {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		body, _ := io.ReadAll(r.Body)
		body = withoutLayer(t, body, d)
		r2 := r.Clone(r.Context())
		r2.Body = io.NopCloser(bytes.NewReader(body))
		r2.ContentLength = int64(len(body))
		r2.Header.Set("Content-Length", strconv.Itoa(len(body)))
		next.ServeHTTP(w, r2)
	}
}

// staleGet answers GETs with raw (an older manifest of the tag).
func staleGet(raw []byte) hostile.Action {
	return hostile.Respond(http.StatusOK, string(raw), "Content-Type", "application/vnd.oci.image.manifest.v1+json")
}

const hugeSize = 64 << 20

// huge streams a body of hugeSize bytes generated as it is sent (head, fill repeated,
// tail), with a Content-Length when announce; it counts the bytes the client took.
type huge struct {
	ct, head, fill, tail string
	announce             bool

	served atomic.Int64
	wg     sync.WaitGroup
}

func (h *huge) action() hostile.Action {
	return func(w http.ResponseWriter, _ *http.Request, _ http.Handler) {
		h.wg.Add(1)
		defer h.wg.Done()
		w.Header().Set("Content-Type", h.ct)
		if h.announce {
			w.Header().Set("Content-Length", strconv.Itoa(hugeSize))
		}
		w.WriteHeader(http.StatusOK)
		chunk := []byte(strings.Repeat(h.fill, 32<<10/len(h.fill)))
		write := func(b []byte) bool {
			n, err := w.Write(b)
			h.served.Add(int64(n))
			return err == nil
		}
		if !write([]byte(h.head)) {
			return
		}
		for left := hugeSize - len(h.head) - len(h.tail); left > 0; left -= len(chunk) {
			if !write(chunk[:min(left, len(chunk))]) {
				return
			}
		}
		write([]byte(h.tail))
	}
}

// taken waits until every answer has ended and returns the bytes served.
func (h *huge) taken(t *testing.T) int64 {
	t.Helper()
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Error("the huge answer was still being sent 10s after publish ended")
	}
	return h.served.Load()
}

// readCounter is a transport counting the GETs sent and response body bytes read through
// it, by path.
type readCounter struct {
	mu    sync.Mutex
	gets  map[string]int
	bytes map[string]int64
}

func newReadCounter() *readCounter {
	return &readCounter{gets: map[string]int{}, bytes: map[string]int64{}}
}

func (c *readCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet {
		c.mu.Lock()
		c.gets[r.URL.Path]++
		c.mu.Unlock()
	}
	resp, err := remote.DefaultTransport.RoundTrip(r)
	if err == nil {
		resp.Body = &countedBody{ReadCloser: resp.Body, c: c, path: r.URL.Path}
	}
	return resp, err
}

// read returns the bytes read of the bodies of paths matching the regular expression re.
func (c *readCounter) read(re string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for p, b := range c.bytes {
		if regexp.MustCompile(re).MatchString(p) {
			n += b
		}
	}
	return n
}

type countedBody struct {
	io.ReadCloser
	c    *readCounter
	path string
}

func (b *countedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.c.mu.Lock()
	b.c.bytes[b.path] += int64(n)
	b.c.mu.Unlock()
	return n, err
}
