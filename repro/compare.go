package repro

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mcpbuild/mcpbuild/fault"
	"github.com/mcpbuild/mcpbuild/internal/ocireg"
)

// Kinds of Difference, in the order they are looked for (see the package doc).
const (
	KindManifest  = "manifest"  // the manifest's media type, or one of its own fields (Path)
	KindPlatforms = "platforms" // an index's platforms are not the same
	KindIndex     = "index"     // an index's own fields (Path)
	KindLayers    = "layers"    // the number of layers
	KindConfig    = "config"    // an image config field (Path)
	KindLayer     = "layer"     // layer Layer, and its Files
)

// Difference is the first difference between a published and a rebuilt image. Values
// from the images are as the registry served them: escape them on output.
type Difference struct {
	Kind string `json:"kind"`
	// Platform is the platform whose images differ, for an index.
	Platform string `json:"platform,omitempty"`
	// Path is the JSON path of the field that differs (manifest, index and config
	// kinds): mediaType, config.Labels["x"], created, history[3].created_by.
	Path string `json:"path,omitempty"`
	// Published and Rebuilt are the two values: JSON (cut to 200 bytes) or "(absent)"
	// for a field, the counts for layers, the platform lists, the digests for a layer.
	Published string `json:"published"`
	Rebuilt   string `json:"rebuilt"`
	// Layer is the index (from 0) of the first layer whose digest differs.
	Layer *int `json:"layer,omitempty"`
	// Files are the paths that differ in that layer (the first MaxFiles), MoreFiles how
	// many more do.
	Files     []FileDiff `json:"files,omitempty"`
	MoreFiles int        `json:"moreFiles,omitempty"`
	// Note says why the files are not listed, or that none differs.
	Note string `json:"note,omitempty"`
}

// Comparer finds the first difference between two images.
type Comparer struct {
	reg       *ocireg.Client
	maxLayer  int64
	maxListed int64
	jobs      int
	sem       chan struct{} // jobs slots: comparisons (a Checker's checks) at once
	insecure  bool
	log       *slog.Logger
}

// defaultJobs is how many comparisons, or a Checker's checks, run at once (WithJobs).
const defaultJobs = 4

// Option configures NewComparer.
type Option func(*Comparer) error

// WithMaxLayer sets the largest compressed layer read to list its files (default
// DefaultMaxLayer); up to 4 times that is decompressed. A larger layer is named, its
// files are not listed.
func WithMaxLayer(n int64) Option {
	return func(c *Comparer) error {
		if n <= 0 {
			return fmt.Errorf("WithMaxLayer: %d is not positive", n)
		}
		c.maxLayer = n
		return nil
	}
}

// WithJobs sets how many comparisons run at once (default 4); a Checker runs
// that many checks at once (resolve, build and compare), the others wait. What one
// comparison holds is bounded (configs, MaxListed, read buffers: layers are streamed),
// so n bounds the memory of them all.
func WithJobs(n int) Option {
	return func(c *Comparer) error {
		if n < 1 {
			return fmt.Errorf("WithJobs: %d, want at least 1", n)
		}
		c.jobs = n
		return nil
	}
}

// WithInsecure reads the rebuilt image over plain HTTP, as the builder pushed it (loopback
// registries always are: go-containerregistry's rule).
func WithInsecure() Option {
	return func(c *Comparer) error { c.insecure = true; return nil }
}

// WithLogger sets where the comparer logs (default: nowhere).
func WithLogger(l *slog.Logger) Option {
	return func(c *Comparer) error {
		if l == nil {
			return fmt.Errorf("WithLogger: nil logger")
		}
		c.log = l
		return nil
	}
}

// NewComparer returns a Comparer reading through reg (bounded, hashed reads).
func NewComparer(reg *ocireg.Client, opts ...Option) (*Comparer, error) {
	if reg == nil {
		return nil, fmt.Errorf("new comparer: nil registry client")
	}
	c := &Comparer{reg: reg, maxLayer: DefaultMaxLayer, maxListed: MaxListed, jobs: defaultJobs, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	c.sem = make(chan struct{}, c.jobs)
	return c, nil
}

// acquire waits for one of the jobs slots (or ctx); release gives it back.
func (c *Comparer) acquire(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (c *Comparer) release() { <-c.sem }

// Compare reads the images published and rebuilt and returns their first difference; nil
// when the digests are equal (nothing is read). An error means a read failed (an
// *ocireg.Error: could not check) or the content is not an image.
func (c *Comparer) Compare(ctx context.Context, published, rebuilt name.Digest) (*Difference, error) {
	if published.DigestStr() == rebuilt.DigestStr() {
		return nil, nil
	}
	if err := c.acquire(ctx); err != nil {
		return nil, fmt.Errorf("comparing: waiting for a slot: %w", err)
	}
	defer c.release()
	return c.compareDigests(ctx, published, rebuilt)
}

// compareDigests is Compare in a slot already held.
func (c *Comparer) compareDigests(ctx context.Context, published, rebuilt name.Digest) (*Difference, error) {
	if published.DigestStr() == rebuilt.DigestStr() {
		return nil, nil
	}
	pm, err := c.reg.Manifest(ctx, published, ocireg.AcceptImageRef)
	if err != nil {
		return nil, fmt.Errorf("comparing: %w", err)
	}
	rm, err := c.reg.Manifest(ctx, rebuilt, ocireg.AcceptImageRef)
	if err != nil {
		return nil, fmt.Errorf("comparing: %w", err)
	}
	s := side{pub: published.Context(), reb: rebuilt.Context()}
	return c.compare(ctx, s, pm, rm, "")
}

// contentError is content that was read (and hashed) but cannot be compared, like a
// config that is not JSON: nothing was decided (fault.Unreachable, "could not check").
type contentError struct{ err error }

func (e *contentError) Error() string     { return e.err.Error() }
func (e *contentError) Unwrap() error     { return e.err }
func (e *contentError) Fault() fault.Kind { return fault.Unreachable }

// side is where the published and rebuilt images are.
type side struct{ pub, reb name.Repository }

func (c *Comparer) compare(ctx context.Context, s side, pm, rm *ocireg.Manifest, platform string) (*Difference, error) {
	if pm.MediaType != rm.MediaType {
		return &Difference{Kind: KindManifest, Platform: platform, Path: "mediaType", Published: pm.MediaType, Rebuilt: rm.MediaType}, nil
	}
	if pm.Index != nil {
		return c.compareIndex(ctx, s, pm, rm)
	}
	return c.compareImage(ctx, s, pm, rm, platform)
}

func (c *Comparer) compareIndex(ctx context.Context, s side, pm, rm *ocireg.Manifest) (*Difference, error) {
	pp, rp := byPlatform(pm.Index.Manifests), byPlatform(rm.Index.Manifests)
	pk, rk := sortedKeys(pp), sortedKeys(rp)
	if !slices.Equal(pk, rk) {
		return &Difference{Kind: KindPlatforms, Path: "manifests", Published: strings.Join(pk, ", "), Rebuilt: strings.Join(rk, ", ")}, nil
	}
	for _, k := range pk {
		pd, rd := pp[k], rp[k]
		if pd.Digest == rd.Digest {
			continue
		}
		pc, err := c.reg.ManifestFor(ctx, s.pub, pd, ocireg.AcceptImage)
		if err != nil {
			return nil, fmt.Errorf("comparing platform %s: %w", k, err)
		}
		rc, err := c.reg.ManifestFor(ctx, s.reb, rd, ocireg.AcceptImage)
		if err != nil {
			return nil, fmt.Errorf("comparing platform %s: %w", k, err)
		}
		return c.compare(ctx, s, pc, rc, k)
	}
	return c.fields(KindIndex, "", pm.Raw, rm.Raw)
}

// byPlatform keys an index's manifests by platform ("unknown" without one; a platform
// seen again gets "#2", "#3", ...).
func byPlatform(ds []v1.Descriptor) map[string]v1.Descriptor {
	out := map[string]v1.Descriptor{}
	for _, d := range ds {
		k := "unknown"
		if d.Platform != nil {
			k = cut(d.Platform.String(), 100)
		}
		key := k
		for n := 2; ; n++ {
			if _, seen := out[key]; !seen {
				break
			}
			key = k + "#" + strconv.Itoa(n)
		}
		out[key] = d
	}
	return out
}

func sortedKeys(m map[string]v1.Descriptor) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func (c *Comparer) compareImage(ctx context.Context, s side, pm, rm *ocireg.Manifest, platform string) (*Difference, error) {
	pl, rl := pm.Image.Layers, rm.Image.Layers
	if len(pl) != len(rl) {
		return &Difference{Kind: KindLayers, Platform: platform, Path: "layers", Published: strconv.Itoa(len(pl)), Rebuilt: strconv.Itoa(len(rl))}, nil
	}
	var pc, rc []byte
	if pm.Image.Config.Digest != rm.Image.Config.Digest {
		var err error
		if pc, err = c.config(ctx, s.pub, pm.Image.Config); err != nil {
			return nil, err
		}
		if rc, err = c.config(ctx, s.reb, rm.Image.Config); err != nil {
			return nil, err
		}
		notDiffIDs := func(p string) bool { return p == "rootfs.diff_ids" }
		if d, err := c.fields(KindConfig, platform, pc, rc, notDiffIDs); d != nil || err != nil {
			return d, err
		}
	}
	for i := range pl {
		if pl[i].Digest != rl[i].Digest {
			return c.compareLayer(ctx, s, i, pl[i], rl[i], platform)
		}
	}
	if pc != nil {
		if d, err := c.fields(KindConfig, platform, pc, rc); d != nil || err != nil {
			return d, err
		}
	}
	return c.fields(KindManifest, platform, pm.Raw, rm.Raw)
}

// config reads an image config (at most ocireg.MaxConfig bytes and MaxJSONValues values).
func (c *Comparer) config(ctx context.Context, repo name.Repository, d v1.Descriptor) ([]byte, error) {
	raw, err := c.reg.Content(ctx, repo, d, ocireg.MaxConfig)
	if err != nil {
		return nil, fmt.Errorf("comparing: reading config %s@%s: %w", repo, d.Digest, err)
	}
	if _, err := ocireg.CountJSONValues(raw, "config "+d.Digest.String()); err != nil {
		return nil, err
	}
	return raw, nil
}

// fields is the first JSON path where a and b differ as a Difference of kind; one
// that finds none says the bytes differ all the same (formatting).
func (c *Comparer) fields(kind, platform string, a, b []byte, skip ...func(string) bool) (*Difference, error) {
	var sk func(string) bool
	if len(skip) > 0 {
		sk = skip[0]
	}
	p, av, bv, found, err := jsonDiff(a, b, sk)
	if err != nil {
		return nil, &contentError{fmt.Errorf("comparing %s: %w", kind, err)}
	}
	if !found {
		if sk != nil {
			return nil, nil
		}
		return &Difference{Kind: kind, Platform: platform, Published: ocireg.SHA256(a).String(), Rebuilt: ocireg.SHA256(b).String(),
			Note: "the JSON values are equal; the bytes differ (formatting)"}, nil
	}
	return &Difference{Kind: kind, Platform: platform, Path: p, Published: av, Rebuilt: bv}, nil
}

// compareLayer names layer i and lists the files that differ in it.
func (c *Comparer) compareLayer(ctx context.Context, s side, i int, pd, rd v1.Descriptor, platform string) (*Difference, error) {
	d := &Difference{Kind: KindLayer, Platform: platform, Layer: &i, Published: pd.Digest.String(), Rebuilt: rd.Digest.String()}
	b := newBudget(c.maxListed)
	pf, err := c.files(ctx, s.pub, pd, b)
	if err == nil {
		var rf map[string]fileInfo
		if rf, err = c.files(ctx, s.reb, rd, b); err == nil {
			d.Files, d.MoreFiles = diffFiles(pf, rf)
			if len(d.Files) == 0 {
				d.Note = "the files are equal: the layers differ in their compression or tar encoding only"
			}
			return d, nil
		}
	}
	if nl, ok := err.(*errNotListed); ok {
		d.Note = "files not listed: " + nl.why
		return d, nil
	}
	return nil, err
}

// files streams layer d of repo (at most maxLayer bytes) and lists its entries; the
// listing is returned only once the bytes are known to be the layer (their digest and
// size checked at the end), else the read error.
func (c *Comparer) files(ctx context.Context, repo name.Repository, d v1.Descriptor, b *budget) (map[string]fileInfo, error) {
	mt := string(d.MediaType)
	if !slices.Contains(gzipLayers, mt) && !slices.Contains(tarLayers, mt) {
		return nil, &errNotListed{fmt.Sprintf("layer media type %q: only gzip and uncompressed tar layers are listed", cut(mt, 100))}
	}
	if d.Size > c.maxLayer {
		return nil, &errNotListed{fmt.Sprintf("layer %s is %d bytes, more than the %d byte limit", d.Digest, d.Size, c.maxLayer)}
	}
	rc, err := c.reg.ContentReader(ctx, repo, d, c.maxLayer)
	if err != nil {
		return nil, fmt.Errorf("comparing: reading layer %s@%s: %w", repo, d.Digest, err)
	}
	defer rc.Close()
	c.log.Debug("listing layer", "layer", d.Digest.String(), "bytes", d.Size)
	files, lerr := listLayer(rc, mt, 4*c.maxLayer, b)
	// Whatever listLayer made of them, the bytes count only once they hash to d.
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return nil, fmt.Errorf("comparing: reading layer %s@%s: %w", repo, d.Digest, err)
	}
	return files, lerr
}
