package verify

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/mcpbuild/mcpbuild/internal/ocireg"
)

// Heavy images. What a verification has read and decoded is held until its verdict (the
// manifests, the config, the signatures), so without a bound shared by the run a hostile
// registry serving every image its per-item limits would get MaxImageBytes per image in
// flight: memory growing with -j. A verification about to hold more than heavyImage bytes
// (as its budget counts them: read, plus estimated decoded), or to take the bytes held by
// the run's other verifications past maxLightBytes, first takes one of maxHeavyImages
// slots of its Verifier (shared by a PolicyVerifier's), waiting for one, and keeps it
// until its verdict. The ordinary image (a few KiB to tens of KiB) never waits; what a run
// holds is at most maxHeavyImages budgets plus maxLightBytes, whatever the images in
// flight.
//
// No deadlock: a verification takes at most one slot and, holding it, never waits for
// another; it waits for a slot only before it holds a large-item slot (a large item makes
// the image heavy first, largeItems.acquire), and never under a lock a slot holder needs
// (a manifest read gives its response back and is sent again once the slot is held, see
// errNeedSlot). While it waits, the context's end ends the wait: the verification is then
// indeterminate, like any read the context ends.
const (
	heavyImage     = 1 << 20
	maxHeavyImages = 2
	maxLightBytes  = 32 << 20
)

// heavySlots is the run's semaphore of heavy images, and the count of the bytes held by
// the other verifications.
type heavySlots struct {
	slots chan struct{}
	light atomic.Int64 // charged by the verifications in flight that hold no slot
}

// limits are what bounds a run's memory: the large items read at once and the heavy
// images. A Verifier has its own; the Verifiers of a PolicyVerifier (one per key) share
// one, so that a policy of many keys holds no more than one Verifier does.
type limits struct {
	large largeItems
	heavy *heavySlots
}

func newLimits() *limits {
	return &limits{large: make(largeItems, maxLargeItems), heavy: &heavySlots{slots: make(chan struct{}, maxHeavyImages)}}
}

// withLimits makes a Verifier share lim (NewPolicyVerifier).
func withLimits(lim *limits) Option {
	return func(o *options) error {
		o.limits = lim
		return nil
	}
}

// errNeedSlot is what a manifest read refuses with when its verification must first take
// a heavy slot and none is free: the caller drops the response, waits for one
// (waitHeavy) with nothing held, and reads again (readManifest).
var errNeedSlot = errors.New("a heavy-image slot is needed first")

// heavyState is the budget's part of the bound: the run's slots, whether this
// verification holds one, and what it adds to the run's light bytes while it does not.
type heavyState struct {
	run     *heavySlots   // nil: never waits (a budget outside a Verifier's)
	turn    chan struct{} // one goroutine of the verification waits for the slot at a time
	held    atomic.Bool
	ended   atomic.Bool  // the verdict is given: no slot is taken any more
	light   atomic.Int64 // this verification's part of run.light
	prepaid atomic.Int64 // admitted into run.light (light) ahead of being charged
}

func newHeavyState(run *heavySlots) heavyState {
	return heavyState{run: run, turn: make(chan struct{}, 1)}
}

// charged counts n bytes charged to the budget in the run's light bytes while the
// verification holds no slot, but for what was admitted (prepaid) already.
func (h *heavyState) charged(n int64) {
	if h.run == nil || h.held.Load() || h.ended.Load() {
		return
	}
	for n > 0 {
		p := h.prepaid.Load()
		if p <= 0 {
			break
		}
		if use := min(p, n); h.prepaid.CompareAndSwap(p, p-use) {
			n -= use
		}
	}
	h.light.Add(n)
	h.run.light.Add(n)
}

// take marks the slot taken: this verification's bytes are no longer the run's light ones.
func (h *heavyState) take() {
	h.held.Store(true)
	h.run.light.Add(-h.light.Swap(0))
	h.prepaid.Store(0)
}

// light admits n more bytes for b's verification without a slot when that keeps it light
// (at most heavyImage bytes, counting those admitted and not yet charged) and the run's
// light bytes at most maxLightBytes: it adds them to those at once (prepaid), so that
// verifications admitted together cannot exceed it. True also when b holds a slot or
// has no run.
func (b *budget) light(n int64) bool {
	if b == nil || b.h.run == nil || b.h.held.Load() {
		return true
	}
	if b.used.Load()+b.h.prepaid.Load()+n > heavyImage {
		return false
	}
	for {
		cur := b.h.run.light.Load()
		if cur+n > maxLightBytes {
			return false
		}
		if b.h.run.light.CompareAndSwap(cur, cur+n) {
			b.h.light.Add(n)
			b.h.prepaid.Add(n)
			return true
		}
	}
}

// admit makes room for n more bytes about to be read or decoded: past the budget it
// refuses them (fits), and when they make the verification heavy it first waits for a
// heavy slot.
func (b *budget) admit(ctx context.Context, n int64, what string) error {
	if err := b.fits(n, what); err != nil {
		return err
	}
	if b.light(n) {
		return nil
	}
	return b.waitHeavy(ctx)
}

// tryHeavy takes a heavy slot when n more bytes make the verification heavy and one is
// free, else returns errNeedSlot (nothing waits: see manifestRead).
func (b *budget) tryHeavy(n int64) error {
	if b.light(n) {
		return nil
	}
	select {
	case b.h.turn <- struct{}{}:
	default:
		return errNeedSlot // another goroutine of this verification is taking it
	}
	defer func() { <-b.h.turn }()
	if b.h.held.Load() || b.h.ended.Load() {
		return nil
	}
	select {
	case b.h.run.slots <- struct{}{}:
		b.h.take()
		return nil
	default:
		return errNeedSlot
	}
}

// waitHeavy takes a heavy slot for b's verification (at most one: a goroutine finding it
// held returns at once), waiting until one is free or ctx ends.
func (b *budget) waitHeavy(ctx context.Context) error {
	if b == nil || b.h.run == nil || b.h.held.Load() {
		return nil
	}
	select {
	case b.h.turn <- struct{}{}:
	case <-ctx.Done():
		return heavyWaitErr(ctx)
	}
	defer func() { <-b.h.turn }()
	if b.h.held.Load() || b.h.ended.Load() {
		return nil
	}
	select {
	case b.h.run.slots <- struct{}{}:
		b.h.take()
		return nil
	case <-ctx.Done():
		return heavyWaitErr(ctx)
	}
}

// heavyWaitErr is the error of a wait for a heavy slot that ctx ended: a read that did
// not happen (indeterminate).
func heavyWaitErr(ctx context.Context) error {
	return &readError{fmt.Errorf("waiting to hold more than %d bytes (other images hold the heavy-image slots): %w", heavyImage, ctx.Err())}
}

// done gives back b's heavy slot: the verification has its verdict, and every read it
// made has returned.
func (b *budget) done() {
	if b == nil || b.h.run == nil {
		return
	}
	b.h.turn <- struct{}{}
	b.h.ended.Store(true)
	if b.h.held.Swap(false) {
		<-b.h.run.slots
	}
	b.h.run.light.Add(-b.h.light.Swap(0))
	b.h.prepaid.Store(0)
	<-b.h.turn
}

// readManifest runs read (a manifest read: ocireg calls manifestRead before reading the
// body) and, when it needed a heavy slot that was not free (errNeedSlot), waits for one
// with nothing held (the response is closed, nothing was read) and runs it again. The
// manifest read, its budget is settled (settle).
func readManifest(ctx context.Context, read func() (*manifest, error)) (*manifest, error) {
	m, err := read()
	if errors.Is(err, errNeedSlot) {
		if err := budgetOf(ctx).waitHeavy(ctx); err != nil {
			return nil, err
		}
		m, err = read()
	}
	if err == nil && m != nil {
		budgetOf(ctx).settle(m.Raw)
	}
	return m, err
}

// settle gives back what manifestRead reserved for decoding the manifest raw past what
// its decoding is estimated to cost now that its JSON values are known: the reservation
// assumes the most values its length allows (one per 1.5 bytes), 220 KB for a 2 KB
// manifest, which would make every real image look heavy.
func (b *budget) settle(raw []byte) {
	if b == nil || len(raw) == 0 {
		return
	}
	n, err := ocireg.CountJSONValues(raw, "manifest")
	if err != nil { // not reached: the read counted them
		return
	}
	if over := manifestCost(int64(len(raw))) - int64(len(raw)) - int64(n)*jsonValueCost; over > 0 {
		_ = b.charge(-over, "manifest")
	}
}
