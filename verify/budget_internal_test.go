package verify

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestBudgetCharges(t *testing.T) {
	ctx := withBudget(context.Background())
	b := budgetOf(ctx)
	if err := b.charge(MaxImageBytes-10, "a"); err != nil {
		t.Fatal(err)
	}
	if err := b.fits(11, "declared"); !isTransport(err) || !strings.Contains(err.Error(), "per-image budget") {
		t.Fatalf("fits over the budget = %v, want a read error naming the budget", err)
	}
	if err := b.fits(10, "declared"); err != nil {
		t.Fatalf("fits within the budget = %v", err)
	}
	if err := b.charge(11, "b"); !isTransport(err) {
		t.Fatalf("charge over the budget = %v, want a read error", err)
	}
	var none *budget // no budget in the context: unlimited
	if none.charge(1<<40, "x") != nil || none.fits(1<<40, "x") != nil || budgetOf(context.Background()) != nil {
		t.Fatal("a nil budget limits")
	}
	many := "[" + strings.Repeat("0,", MaxJSONValues) + "0]"
	if err := chargeJSON(context.Background(), []byte(many), 0, "doc"); !isTransport(err) || !strings.Contains(err.Error(), "JSON values") {
		t.Fatalf("chargeJSON(%d values) = %v, want a read error", MaxJSONValues+2, err)
	}
}

// A response announcing more than the budget has left is refused before its body is
// read; one that sends more without announcing it fails while it is read.
func TestBudgetTransport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("length") != "" {
			w.Header().Set("Content-Length", "41943040")
		}
		chunk := make([]byte, 1<<20)
		for range 40 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c := &http.Client{Transport: budgetTransport{http.DefaultTransport}}
	get := func(q string) error {
		ctx := withBudget(context.Background())
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v2/r/blobs/x"+q, nil)
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.ReadAll(resp.Body)
		return err
	}
	var le *limitError
	if err := get("?length=1"); !errors.As(err, &le) {
		t.Fatalf("announced 40 MiB: %v, want the budget error", err)
	}
	if err := get(""); !errors.As(err, &le) {
		t.Fatalf("sent 40 MiB: %v, want the budget error", err)
	}
}

func TestLargeItemsTwoAtATime(t *testing.T) {
	l := make(largeItems, maxLargeItems)
	ctx := context.Background()
	var releases []func()
	for range maxLargeItems {
		r, err := l.acquire(ctx, largeItem+1)
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, r)
	}
	if r, err := l.acquire(ctx, largeItem); err != nil { // small items never wait
		t.Fatal(err)
	} else {
		r()
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := l.acquire(short, largeItem+1); !isTransport(err) {
		t.Fatalf("a third large item did not wait: %v", err)
	}
	releases[0]()
	r, err := l.acquire(ctx, largeItem+1)
	if err != nil {
		t.Fatalf("after a release: %v", err)
	}
	r()
	releases[1]()
}

// A manifest read reserves the cost of decoding the most its body can be before the
// body is read, refuses what does not fit (holding nothing), takes a large-item slot
// for a large one, and gives back the slot and the reservation past the bytes read.
func TestManifestReadReserves(t *testing.T) {
	ctx := withBudget(context.Background())
	b := budgetOf(ctx)
	l := make(largeItems, 1)
	done, err := l.manifestRead(ctx, "m", 4<<20)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.used.Load(); got != manifestCost(4<<20) || len(l) != 1 {
		t.Fatalf("reserved %d with %d slots taken, want %d and 1", got, len(l), manifestCost(4<<20))
	}
	done(1000)
	if got := b.used.Load(); got != manifestCost(1000) || len(l) != 0 {
		t.Fatalf("after done: %d with %d slots taken, want %d and 0", got, len(l), manifestCost(1000))
	}
	if err := b.charge(MaxImageBytes-manifestCost(1000)-(4<<20), "x"); err != nil { // 4 MiB left
		t.Fatal(err)
	}
	before := b.used.Load()
	if _, err := l.manifestRead(ctx, "m", 4<<20); !isTransport(err) || !strings.Contains(err.Error(), "per-image budget") {
		t.Fatalf("a manifest whose decoding does not fit: %v, want the budget error", err)
	}
	if b.used.Load() != before || len(l) != 0 {
		t.Fatalf("a refused read holds %d bytes and %d slots", b.used.Load()-before, len(l))
	}
	if manifestCost(4<<20) > 4<<20+MaxJSONValues*jsonValueCost || manifestCost(300) < 300+200*jsonValueCost {
		t.Fatalf("manifestCost: %d for 4 MiB, %d for 300 bytes", manifestCost(4<<20), manifestCost(300))
	}
}
