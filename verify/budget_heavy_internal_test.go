package verify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/internal/ocireg"
	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// fill takes every slot of run (as other heavy images would) and returns their release.
func fill(run *heavySlots) func() {
	for range cap(run.slots) {
		run.slots <- struct{}{}
	}
	return func() {
		for range cap(run.slots) {
			<-run.slots
		}
	}
}

// A verification about to hold more than heavyImage waits for a slot, holds one (and one
// only, whatever its goroutines do) until done, and then the next one gets it.
func TestHeavyImageWaitsForASlot(t *testing.T) {
	lim := newLimits()
	run := lim.heavy
	ctx := context.Background()
	var holders []*budget
	for range maxHeavyImages {
		b := budgetOf(run.withBudget(ctx))
		var wg sync.WaitGroup
		for range 4 { // one verification's parallel reads: one slot
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := b.admit(ctx, heavyImage+1, "x"); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		holders = append(holders, b)
	}
	if len(run.slots) != maxHeavyImages {
		t.Fatalf("%d heavy images hold %d slots, want one each", maxHeavyImages, len(run.slots))
	}
	next := budgetOf(run.withBudget(ctx))
	got := make(chan error, 1)
	go func() { got <- next.admit(ctx, heavyImage+1, "x") }()
	select {
	case err := <-got:
		t.Fatalf("a heavy image did not wait with every slot held: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	holders[0].done()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a slot given back was not taken")
	}
	for _, b := range append(holders[1:], next) {
		b.done()
	}
	if len(run.slots) != 0 || run.light.Load() != 0 {
		t.Fatalf("after every verdict: %d slots held, %d light bytes", len(run.slots), run.light.Load())
	}
}

// While it waits, the context's end ends the wait with a read error (indeterminate),
// holding nothing; what does not fit the budget is refused at once, without waiting.
func TestHeavyWaitEndsWithTheContext(t *testing.T) {
	run := newLimits().heavy
	defer fill(run)()
	ctx, stop := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer stop()
	b := budgetOf(run.withBudget(ctx))
	err := b.admit(ctx, heavyImage+1, "x")
	if !isTransport(err) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "heavy-image slots") {
		t.Fatalf("admit with every slot held until the deadline = %v, want a read error naming the wait", err)
	}
	if b.h.held.Load() || b.used.Load() != 0 {
		t.Fatal("a wait that ended holds a slot or bytes")
	}
	if err := b.admit(context.Background(), MaxImageBytes+1, "x"); !isTransport(err) || !strings.Contains(err.Error(), "per-image budget") {
		t.Fatalf("admit over the budget = %v, want the budget error at once", err)
	}
	// A large item makes the image heavy before it takes a large-item slot (outside a
	// run's budget, it only takes the large-item slot).
	large := make(largeItems, maxLargeItems)
	if r, err := large.acquire(context.Background(), largeItem+1); err != nil || len(large) != 1 {
		t.Fatalf("a large item outside a run: %v, %d large slots taken", err, len(large))
	} else {
		r()
	}
	short, cancel := context.WithTimeout(run.withBudget(context.Background()), 30*time.Millisecond)
	defer cancel()
	if _, err := large.acquire(short, largeItem+1); !errors.Is(err, context.DeadlineExceeded) || len(large) != 0 {
		t.Fatalf("a large item of a light image with every heavy slot held: %v, %d large slots taken; want the wait's error and none", err, len(large))
	}
}

// Ordinary images never wait, however many; the run's light bytes past maxLightBytes make
// the next image heavy, and each verdict gives its bytes back.
func TestLightImagesNeverWait(t *testing.T) {
	run := newLimits().heavy
	release := fill(run)
	ctx := context.Background()
	var light []*budget
	per := int64(heavyImage - 1)
	for range maxLightBytes / per {
		b := budgetOf(run.withBudget(ctx))
		if err := b.admit(ctx, per, "x"); err != nil {
			t.Fatal(err)
		}
		if err := b.charge(per, "x"); err != nil {
			t.Fatal(err)
		}
		light = append(light, b)
	}
	if b := budgetOf(run.withBudget(ctx)); b.light(per) || !b.light(0) {
		t.Fatalf("with %d light bytes in the run, %d more stay light", run.light.Load(), per)
	}
	light[0].done()
	if b := budgetOf(run.withBudget(ctx)); !b.light(per) {
		t.Fatalf("a verdict did not give back its light bytes: %d in the run", run.light.Load())
	} else {
		b.done()
	}
	for _, b := range light[1:] {
		b.done()
	}
	release()
	if run.light.Load() != 0 {
		t.Fatalf("%d light bytes after every verdict", run.light.Load())
	}
}

// Verifications admitted at once cannot take the run's light bytes past maxLightBytes:
// what is admitted is counted before it is read.
func TestLightBytesAdmittedAtOnce(t *testing.T) {
	run := newLimits().heavy
	defer fill(run)()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	per := int64(heavyImage - 1)
	var wg sync.WaitGroup
	var mu sync.Mutex
	admitted := 0
	var budgets []*budget
	for range 2 * maxLightBytes / per {
		b := budgetOf(run.withBudget(ctx))
		budgets = append(budgets, b)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if b.admit(ctx, per, "x") == nil {
				mu.Lock()
				admitted++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if int64(admitted) != maxLightBytes/per || run.light.Load() > maxLightBytes {
		t.Fatalf("%d verifications of %d bytes admitted at once (%d light bytes), want %d", admitted, per, run.light.Load(), maxLightBytes/per)
	}
	for _, b := range budgets {
		_ = b.charge(per, "x") // the admitted bytes read: no more light bytes
	}
	if got := run.light.Load(); got != int64(admitted)*per+int64(len(budgets)-admitted)*per {
		t.Fatalf("%d light bytes after the reads, want what was admitted plus what was charged without", got)
	}
	for _, b := range budgets {
		b.done()
	}
	if run.light.Load() != 0 {
		t.Fatalf("%d light bytes after every verdict", run.light.Load())
	}
}

// A manifest read that makes its verification heavy with no slot free holds nothing: it
// refuses with errNeedSlot (no bytes reserved, no large-item slot), readManifest waits for
// a slot and reads again, and the budget is settled to the manifest's JSON values.
func TestManifestReadWaitsWithNothingHeld(t *testing.T) {
	lim := newLimits()
	fill(lim.heavy) // given back one by one below
	tctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctx := lim.heavy.withBudget(tctx)
	b := budgetOf(ctx)
	if _, err := lim.large.manifestRead(ctx, "m", 4<<20); !errors.Is(err, errNeedSlot) || b.used.Load() != 0 || len(lim.large) != 0 {
		t.Fatalf("manifestRead with no heavy slot free = %v, %d bytes, %d large slots; want errNeedSlot holding nothing", err, b.used.Load(), len(lim.large))
	}
	raw := []byte(`{"schemaVersion":2,"annotations":{"a":"` + strings.Repeat("x", 2<<20) + `"}}`)
	reads := 0
	read := func() (*manifest, error) {
		reads++
		done, err := lim.large.manifestRead(ctx, "m", int64(len(raw)))
		if err != nil {
			return nil, err
		}
		_ = b.charge(int64(len(raw)), "body") // what budgetTransport charges
		done(int64(len(raw)))
		return &manifest{Raw: raw}, nil
	}
	go func() { time.Sleep(20 * time.Millisecond); <-lim.heavy.slots }() // another image's verdict
	m, err := readManifest(ctx, read)
	if err != nil || m == nil || reads != 2 || !b.h.held.Load() {
		t.Fatalf("readManifest = %v after %d reads (slot held: %v), want the second read with the slot", err, reads, b.h.held.Load())
	}
	n, _ := ocireg.CountJSONValues(raw, "m")
	if want := int64(2*len(raw)) + int64(n)*jsonValueCost; b.used.Load() != want {
		t.Fatalf("settled budget %d, want %d (the bytes and their %d JSON values)", b.used.Load(), want, n)
	}
	b.done()
	for range maxHeavyImages - 1 {
		<-lim.heavy.slots
	}
	if len(lim.heavy.slots) != 0 {
		t.Fatalf("%d slots still held", len(lim.heavy.slots))
	}
}

// Through Verify: with every heavy slot held by other images, an image whose .sig
// manifest is 4 MiB waits, and its context's deadline makes the verdict indeterminate
// (no hang); many ordinary images verify meanwhile without waiting.
func TestVerifyWithHeavySlotsHeld(t *testing.T) {
	f := verifytest.New(t)
	v, err := New(&f.Key.PublicKey, WithRekorPublicKey(&f.RekorKey.PublicKey), WithSignaturesRepository(f.SigRepo))
	if err != nil {
		t.Fatal(err)
	}
	defer fill(v.heavy)()
	pol := Policy{Pin: catalog.Pin{Project: verifytest.Project, Commit: verifytest.PinCommit}, Provenance: ProvenanceRequired}

	heavy := f.PushImage(f.Repo("mcp/heavy"), "v1", verifytest.PinCommit)
	h, _ := v1.NewHash(heavy.DigestStr())
	l := verifytest.HostileLayer([]byte("{}"))
	l.Desc.Annotations["junk"] = strings.Repeat("x", 4<<20-4096)
	f.PushLayers(sign.Tag(f.SigRepo, h, sign.SignatureSuffix), l)
	f.Attest(heavy)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	vd, err := v.Verify(ctx, heavy, pol)
	var ind *Indeterminate
	if !errors.As(err, &ind) || !vd.Indeterminate || ind.Check != IndeterminateTimeout || time.Since(start) > 5*time.Second {
		t.Fatalf("heavy image with every slot held: %v (%+v) after %s, want indeterminate at the deadline", err, vd, time.Since(start))
	}

	const n = 40
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		img := f.PushImage(f.Repo(fmt.Sprintf("mcp/small%d", i)), "v1", verifytest.PinCommit)
		f.Sign(img)
		f.Attest(img)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			vd, err := v.Verify(ctx, img, pol)
			if err == nil && !vd.Verified {
				err = errors.New(vd.Reason)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("ordinary images with every heavy slot held: %v", err)
	}
	if v.heavy.light.Load() != 0 {
		t.Fatalf("%d light bytes after every verdict", v.heavy.light.Load())
	}
}
