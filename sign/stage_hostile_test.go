package sign_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/mcpbuild/mcpbuild/sign/signtest"
)

// The staging write and the read that finds a staged record follow the rules of every
// write (publish/hostile_test.go): only a 404 proves absence and is asked again, the
// read-back must show every layer seen and our staged record, and nothing is logged
// unless that record was read back. Another key's layers are never dropped.

// stageRun is one SignImage by key A of an image key B signed (coSigned), on a hostile
// registry.
type stageRun struct {
	s      *hostile.Server
	c      coSigned
	tl     *fakeTLog
	svc    *sign.Service
	before int // requests made before the rules were set
}

func newStageRun(t *testing.T) stageRun {
	t.Helper()
	s := hostile.NewRegistry()
	host := s.Start(t)
	c := newCoSigned(t, host)
	tl := &fakeTLog{}
	svc, err := sign.New(mustSigner(t, keyA), sign.NewStore(c.Sig.Context(), fast), tl)
	if err != nil {
		t.Fatal(err)
	}
	return stageRun{s: s, c: c, tl: tl, svc: svc}
}

// puts returns how many manifest PUTs of path were made since the rules were set.
func (r stageRun) puts(path string) int {
	return signtest.Count(r.s, r.before, http.MethodPut, path)
}

// rule sets the rules and notes where the log stands.
func (r *stageRun) rule(set func(s *hostile.Server, c coSigned)) {
	set(r.s, r.c)
	r.before = len(r.s.Log())
}

func get500(code string) hostile.Action { return hostile.Fail(http.StatusInternalServerError, code) }
func get404() hostile.Action            { return hostile.Fail(http.StatusNotFound, "MANIFEST_UNKNOWN") }

// GETs of the .sig tag in one SignImage of an existing tag: 1 the first read, 2 the read
// right before staging, 3 the staging read-back, 4 the read before the final write, 5 its
// read-back.
func TestStagingWriteFollowsTheWriteRules(t *testing.T) {
	for _, tc := range []struct {
		name      string
		rules     func(s *hostile.Server, c coSigned)
		fails     func(err error) bool // nil: succeeds
		puts      int                  // .sig manifest PUTs
		entries   int                  // log entries
		ourLayers int                  // layers of ours in the end
	}{
		{"stage read 500 MANIFEST_UNKNOWN", func(s *hostile.Server, _ coSigned) {
			s.On(http.MethodGet, sigPath, hostile.Sequence(hostile.Pass(), get500("MANIFEST_UNKNOWN")))
		}, is500, 0, 0, 0},
		{"stage read 404 once", func(s *hostile.Server, _ coSigned) {
			s.On(http.MethodGet, sigPath, hostile.Sequence(hostile.Pass(), get404(), hostile.Pass()))
		}, nil, 2, 1, 1},
		{"stage read 404 twice", func(s *hostile.Server, _ coSigned) {
			s.On(http.MethodGet, sigPath, hostile.Sequence(hostile.Pass(), get404(), get404(), hostile.Pass()))
		}, nil, 2, 1, 1},
		{"first read 404 twice", func(s *hostile.Server, _ coSigned) {
			s.On(http.MethodGet, sigPath, hostile.Sequence(get404(), get404(), hostile.Pass()))
		}, nil, 2, 1, 1},
		{"staging read-back 500 MANIFEST_UNKNOWN", func(s *hostile.Server, _ coSigned) {
			s.On(http.MethodGet, sigPath, hostile.Sequence(hostile.Pass(), hostile.Pass(), get500("MANIFEST_UNKNOWN")))
		}, is500, 1, 0, 0},
		{"staging read-back 404 once", func(s *hostile.Server, _ coSigned) {
			s.On(http.MethodGet, sigPath, hostile.Sequence(hostile.Pass(), hostile.Pass(), get404(), hostile.Pass()))
		}, nil, 2, 1, 1},
		{"staging read-back without key B once", func(s *hostile.Server, c coSigned) {
			s.On(http.MethodGet, sigPath, hostile.Sequence(hostile.Pass(), hostile.Pass(), withoutB(t, c), hostile.Pass()))
		}, nil, 2, 1, 1}, // read again after a pause
		{"staging read-back without key B until pushed again", func(s *hostile.Server, c coSigned) {
			s.On(http.MethodGet, sigPath, hostile.Sequence(hostile.Pass(), hostile.Pass(),
				withoutB(t, c), withoutB(t, c), withoutB(t, c), hostile.Pass()))
		}, nil, 3, 1, 1},
		{"staging PUT dropped", func(s *hostile.Server, _ coSigned) {
			onPut(s, sigPath, isStagingPut, 0, hostile.DropWrite())
		}, stagingLost, 3, 0, 0},
		{"staging PUT dropped once", func(s *hostile.Server, _ coSigned) {
			onPut(s, sigPath, isStagingPut, 1, hostile.DropWrite())
		}, nil, 3, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newStageRun(t)
			r.rule(tc.rules)
			a, err := r.svc.SignImage(context.Background(), r.c.Img, claims)
			switch {
			case tc.fails == nil && (err != nil || !a.Appended):
				t.Errorf("SignImage = %+v, %v; want appended", a, err)
			case tc.fails != nil && !tc.fails(err):
				t.Errorf("SignImage = %v; want the failure reported", err)
			}
			if n := r.puts(sigPath); n != tc.puts {
				t.Errorf("%d .sig PUTs, want %d", n, tc.puts)
			}
			if n := r.tl.Count(); n != tc.entries {
				t.Errorf("%d log entries, want %d", n, tc.entries)
			}
			keeps(t, r.s, r.c.Sig, r.c.SigBefore, tc.ourLayers)
			verifiesKeyB(t, r.s, r.c.Img, r.c.Sig.Context())
			if m := rawManifest(t, r.c.Sig); tc.fails == nil && m.Annotations[sign.PendingAnnotation] != "" {
				t.Errorf("staged record left after the final write")
			}
		})
	}
}

// stagingLost: the staged record never showed, so nothing was logged.
func stagingLost(err error) bool {
	var lost *sign.LostLayersError
	return errors.As(err, &lost) && lost.Staging && lost.Ours && len(lost.Lost) == 1 && lost.Writes == 3 &&
		strings.Contains(err.Error(), "nothing logged")
}

// A run of key A was killed after the log recorded its signature (the answer was lost),
// leaving a record staged in the .sig tag among key B's layers. The re-run's reads lie:
// whatever they answer, no second entry is made unless the record is provably gone, and
// no layer of key B is dropped.
func TestResumeFollowsTheReadRules(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rules func(s *hostile.Server, c coSigned)
		fails bool // the re-run fails (could not check), writing nothing
	}{
		{"first read 500 MANIFEST_UNKNOWN", func(s *hostile.Server, _ coSigned) {
			s.On(http.MethodGet, sigPath, get500("MANIFEST_UNKNOWN"))
		}, true},
		{"first read 404 once", func(s *hostile.Server, _ coSigned) {
			s.On(http.MethodGet, sigPath, hostile.Sequence(get404(), hostile.Pass()))
		}, false},
		// Both first reads lie: a new signature is made, and the read before staging it
		// shows the record, which is logged instead (the new one is dropped).
		{"first read 404 twice", func(s *hostile.Server, _ coSigned) {
			s.On(http.MethodGet, sigPath, hostile.Sequence(get404(), get404(), hostile.Pass()))
		}, false},
		{"stage read 500 MANIFEST_UNKNOWN after two 404s", func(s *hostile.Server, _ coSigned) {
			s.On(http.MethodGet, sigPath, hostile.Sequence(get404(), get404(), get500("MANIFEST_UNKNOWN")))
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			r := newStageRun(t)
			r.tl.SetLose(errors.New("connection reset"))
			if _, err := r.svc.SignImage(ctx, r.c.Img, claims); err == nil {
				t.Fatal("the killed run succeeded")
			}
			r.tl.SetLose(nil)
			staged := pendingOf(t, r.c.Sig)
			r.rule(tc.rules)

			a, err := r.svc.SignImage(ctx, r.c.Img, claims)
			if r.tl.Count() != 1 {
				t.Errorf("%d log entries, want the killed run's only", r.tl.Count())
			}
			if tc.fails {
				if !is500(err) || r.puts(sigPath) != 0 {
					t.Errorf("re-run = %v with %d .sig PUTs; want the 500, nothing written", err, r.puts(sigPath))
				}
				keeps(t, r.s, r.c.Sig, r.c.SigBefore, 0)
				if d := pendingOf(t, r.c.Sig); d.Digest != staged.Digest || d.Annotations[sign.SignatureAnnotation] != staged.Annotations[sign.SignatureAnnotation] {
					t.Errorf("the staged record changed: %+v, was %+v", d, staged)
				}
				return
			}
			if err != nil || !a.Appended || a.LogIndex != 1 {
				t.Fatalf("re-run = %+v, %v; want the staged signature attached with entry 1", a, err)
			}
			keeps(t, r.s, r.c.Sig, r.c.SigBefore, 1)
			verifiesKeyB(t, r.s, r.c.Img, r.c.Sig.Context())
			m := rawManifest(t, r.c.Sig)
			last := m.Layers[len(m.Layers)-1]
			if last.Annotations[sign.SignatureAnnotation] != staged.Annotations[sign.SignatureAnnotation] || m.Annotations[sign.PendingAnnotation] != "" {
				t.Errorf("attached %v, pending %q; want the staged signature, nothing staged", last.Annotations, m.Annotations[sign.PendingAnnotation])
			}
		})
	}
}

// largeStatement is a statement about img too large to be embedded in a descriptor: its
// staged envelope is read from the blob.
func largeStatement(img name.Digest) []byte {
	pad := strings.Repeat("A", sign.MaxEmbeddedData+1)
	return bytes.Replace(statementFor(img), []byte(`"runDetails":{`),
		[]byte(`"runDetails":{"byproducts":[{"name":"pad","content":"`+pad+`"}],`), 1)
}

// A staged envelope too large to embed lives in its blob: a blob upload the registry
// drops fails the staging (nothing logged); a blob read that fails on the re-run fails it
// (could not check), and one that answers 404 once is asked again and logged once.
func TestStagedBlobIsReadBack(t *testing.T) {
	ctx := context.Background()
	blobs := `/v2/mcp/signatures/blobs/`
	t.Run("upload dropped", func(t *testing.T) {
		r := newStageRun(t)
		r.rule(func(s *hostile.Server, _ coSigned) { s.On("", blobs, hostile.DropWrite()) })
		_, err := r.svc.Attest(ctx, r.c.Img, largeStatement(r.c.Img))
		if err == nil || !strings.Contains(err.Error(), "reading back blob") || r.tl.Count() != 0 || r.puts(attPath) != 0 {
			t.Errorf("Attest = %v, %d entries, %d .att PUTs; want the blob reported, nothing staged or logged", err, r.tl.Count(), r.puts(attPath))
		}
		keeps(t, r.s, r.c.Att, r.c.AttBefore, 0)
	})
	for _, tc := range []struct {
		name  string
		get   hostile.Action
		fails bool
	}{
		{"re-run blob read 500 BLOB_UNKNOWN", get500("BLOB_UNKNOWN"), true},
		{"re-run blob read 404 once", hostile.Sequence(hostile.Fail(http.StatusNotFound, "BLOB_UNKNOWN"), hostile.Pass()), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newStageRun(t)
			r.tl.SetLose(errors.New("connection reset"))
			if _, err := r.svc.Attest(ctx, r.c.Img, largeStatement(r.c.Img)); err == nil {
				t.Fatal("the killed run succeeded")
			}
			r.tl.SetLose(nil)
			if d := pendingOf(t, r.c.Att); d.Data != nil {
				t.Fatalf("the staged envelope is embedded (%d bytes)", d.Size)
			}
			r.rule(func(s *hostile.Server, _ coSigned) { s.On(http.MethodGet, blobs, tc.get) })
			a, err := r.svc.Attest(ctx, r.c.Img, largeStatement(r.c.Img))
			if r.tl.Count() != 1 {
				t.Errorf("%d log entries, want the killed run's only", r.tl.Count())
			}
			if tc.fails {
				if err == nil || !strings.Contains(err.Error(), "interrupted run staged") || r.puts(attPath) != 0 {
					t.Errorf("re-run = %v, %d .att PUTs; want could not check, nothing written", err, r.puts(attPath))
				}
				keeps(t, r.s, r.c.Att, r.c.AttBefore, 0)
				return
			}
			if err != nil || !a.Appended || a.LogIndex != 1 {
				t.Errorf("re-run = %+v, %v; want the staged attestation attached with entry 1", a, err)
			}
			keeps(t, r.s, r.c.Att, r.c.AttBefore, 1)
		})
	}
}

// A record another run staged is its data: a write that appends something else (here a
// signature without log) keeps it, so that run's re-run still logs its bytes only once.
func TestFinalWriteKeepsAnotherRunsRecord(t *testing.T) {
	ctx := context.Background()
	r := newStageRun(t)
	tlB := &fakeTLog{}
	svcB, err := sign.New(mustSigner(t, keyB), sign.NewStore(r.c.Sig.Context()), tlB)
	if err != nil {
		t.Fatal(err)
	}
	tlB.SetLose(errors.New("connection reset"))
	if _, err := svcB.SignImage(ctx, r.c.Img, claims); err == nil {
		t.Fatal("key B's killed run succeeded")
	}
	tlB.SetLose(nil)
	staged := pendingOf(t, r.c.Sig)

	svcA, err := sign.New(mustSigner(t, keyA), sign.NewStore(r.c.Sig.Context()), nil, sign.WithoutTLogUnsafe())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svcA.SignImage(ctx, r.c.Img, claims); err != nil {
		t.Fatal(err)
	}
	if d := pendingOf(t, r.c.Sig); d.Digest != staged.Digest || d.Annotations[sign.SignatureAnnotation] != staged.Annotations[sign.SignatureAnnotation] {
		t.Fatalf("key A's write replaced key B's staged record: %+v, was %+v", d, staged)
	}
	b, err := svcB.SignImage(ctx, r.c.Img, claims)
	if err != nil || b.LogIndex != 1 || tlB.Count() != 1 {
		t.Errorf("key B's re-run = %+v, %v, %d entries; want its staged signature with entry 1", b, err, tlB.Count())
	}
	keeps(t, r.s, r.c.Sig, r.c.SigBefore, 2)
}
