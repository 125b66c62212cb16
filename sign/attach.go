package sign

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/cosign/v2/pkg/oci"
)

// Attachment is the outcome of Attach.
type Attachment struct {
	Tag      name.Tag
	Layer    Layer
	Appended bool // false: an equivalent layer was already there, nothing was appended
}

// Attacher is what Attach asks of its caller for one signature or attestation.
type Attacher struct {
	// Find returns an equivalent layer among those attached, or nil.
	Find func(ctx context.Context, existing []Layer) (*Layer, error)
	// Create signs a new signature or attestation (without log entry yet).
	Create func(ctx context.Context) (oci.Signature, error)
	// Log records sig in the transparency log and returns it with its bundle. Nil: there is
	// no log, and nothing is staged.
	Log func(ctx context.Context, sig oci.Signature) (oci.Signature, error)
	// Resume checks a layer that an interrupted run staged (content already checked
	// against its digest) and returns it as the signature to log, or nil when it is not
	// one Create could have made (another key, payload or image): then Create is called.
	Resume func(ctx context.Context, staged Layer, content []byte) (oci.Signature, error)
}

// Attach appends a layer to the manifest tagged for img with suffix, keeping every layer
// already there (see the package doc). Under the tag's lock:
//
//  1. It reads the tag; only a 404 status means "absent" (this first read is not asked
//     again: it only decides whether to sign; every later look asks a 404 again at once,
//     a lagging replica). Any other failure is an error and nothing is written.
//  2. If a.Find reports an equivalent layer it returns that: nothing is signed, logged or
//     written.
//  3. A record an interrupted run staged (PendingAnnotation) that a.Resume accepts is
//     taken as it is. Otherwise a.Create signs anew and, when there is a log, the new item
//     is staged: its blob pushed (and read back when not embedded), the tag read again
//     (a record staged meanwhile that a.Resume accepts is taken instead of ours; an
//     equivalent layer ends the call), then the manifest the registry served plus every
//     layer seen, with ours in PendingAnnotation, is written through the write loop: the
//     read-back must list every layer seen and carry our record, else it is written
//     again (at most maxWrites pushes), else a *LostLayersError with Staging set. Nothing
//     is logged unless the staged record was read back.
//  4. a.Log uploads it (the same bytes as staged: a log that already holds the entry
//     returns it rather than adding a second).
//  5. The tag is read again right before the final write; the manifest it served plus
//     every layer seen in any read plus ours, without our staged record (another's is
//     kept), goes through the write loop: the read-back must list every layer seen and
//     ours, else a *LostLayersError (errors.Is ErrNotPersisted) naming the digests.
//
// A kill at any point leaves nothing, a staged record that the re-run logs (again), or
// the attached layer. A staged blob that is gone (404 twice) is ignored; one that cannot
// be read fails the call (could not check: signing anew could log a duplicate).
func (s *Store) Attach(ctx context.Context, img v1.Hash, suffix string, a Attacher) (*Attachment, error) {
	tag := Tag(s.repo, img, suffix)
	mu, _ := s.locks.LoadOrStore(tag.String(), &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()

	t := &attempt{s: s, tag: tag, a: a, configs: configs{}}
	first, found, err := t.look(ctx, "")
	if err != nil || found != nil {
		return reused(tag, found, err)
	}
	sig, staged, err := t.resume(ctx, first)
	if err != nil {
		return nil, err
	}
	if sig == nil {
		if sig, err = a.Create(ctx); err != nil {
			return nil, err
		}
		if a.Log != nil {
			if sig, staged, found, err = t.stage(ctx, first, sig); err != nil || found != nil {
				return reused(tag, found, err)
			}
		}
	}
	if a.Log != nil {
		if sig, err = a.Log(ctx, sig); err != nil {
			return nil, err
		}
	}
	add, err := newDataLayer(sig)
	if err != nil {
		return nil, err
	}
	now, found, err := t.look(ctx, "before writing")
	if err != nil || found != nil {
		if found != nil {
			s.log.Debug("an equivalent layer appeared while signing; not writing ours", "tag", tag.String())
		}
		return reused(tag, found, err)
	}
	back, err := s.write(ctx, now, plan{want: append(t.seen, add.desc), add: add, staged: staged, configs: t.configs})
	if err != nil {
		return nil, err
	}
	// A blob is read back once: staging did it for a staged item; otherwise (no log, or
	// a resumed record whose content was read) check ours here, or a registry that claims
	// to hold it would leave a layer nobody can fetch.
	if add.desc.Data == nil && staged == nil {
		if err := s.blobBack(ctx, add.desc); err != nil {
			return nil, fmt.Errorf("writing %s: reading back blob %s: %w", tag, add.desc.Digest, err)
		}
	}
	for i, d := range back.descs() {
		if layerKey(d) == layerKey(add.desc) {
			return &Attachment{Tag: tag, Layer: back.layers[i], Appended: true}, nil
		}
	}
	return nil, fmt.Errorf("writing %s: %w", tag, ErrNotPersisted) // the write loop checked it
}

func reused(tag name.Tag, found *Layer, err error) (*Attachment, error) {
	if err != nil {
		return nil, err
	}
	return &Attachment{Tag: tag, Layer: *found}, nil
}

// attempt is one Attach: the tag, and every layer seen in any read of it so far (each
// must still be listed after every write).
type attempt struct {
	s       *Store
	tag     name.Tag
	a       Attacher
	seen    []v1.Descriptor
	looked  bool
	configs configs
}

// look reads the tag and notes its layers; found is an equivalent layer (a.Find) when the
// read shows layers not seen before (or on the first read). what prefixes a read error.
//
// Before a write, a 404 is asked again at once (a lagging replica answers 404, then the
// truth). The first look takes one read: it only decides whether to sign (a 404 there
// that was not the truth costs a signature and a blob nobody uses), and every write
// follows a later look (before staging, before writing), which asks again.
func (t *attempt) look(ctx context.Context, what string) (*tagState, *Layer, error) {
	st, err := t.s.read(ctx, t.tag)
	if err == nil && st.man == nil && t.looked {
		t.s.log.Debug("tag absent (404); asking again", "tag", t.tag.String())
		st, err = t.s.read(ctx, t.tag)
	}
	if err != nil {
		if what != "" {
			err = fmt.Errorf("%s: %w", what, err)
		}
		return nil, nil, err
	}
	found, err := t.note(ctx, st)
	return st, found, err
}

// note adds the layers of st to those seen and, when some are new (or on the first read),
// asks a.Find whether one is equivalent.
func (t *attempt) note(ctx context.Context, st *tagState) (*Layer, error) {
	fresh := missing(st.descs(), t.seen)
	t.seen = append(t.seen, fresh...)
	if t.looked && len(fresh) == 0 {
		return nil, nil
	}
	t.looked = true
	return t.a.Find(ctx, st.layers)
}

// resume returns the item staged in st that a.Resume accepts and the record staging it;
// nil when there is none (or no log).
func (t *attempt) resume(ctx context.Context, st *tagState) (oci.Signature, *v1.Descriptor, error) {
	if t.a.Log == nil || t.a.Resume == nil {
		return nil, nil, nil
	}
	d, ok := pendingDesc(st.m)
	if !ok {
		return nil, nil, nil
	}
	staged, ok := pendingOf(t.tag, st.m)
	if !ok {
		return nil, nil, nil
	}
	content, err := t.s.document(ctx, *staged)
	if absent(err) { // asked again at once, as a tag is
		content, err = t.s.document(ctx, *staged)
	}
	if absent(err) {
		t.s.log.Debug("the staged blob is gone (404); signing anew", "tag", t.tag.String(), "digest", staged.Digest.String())
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading what an interrupted run staged in %s: %w", t.tag, err)
	}
	sig, err := t.a.Resume(ctx, *staged, content)
	if err != nil || sig == nil {
		return nil, nil, err
	}
	return sig, &d, nil
}
