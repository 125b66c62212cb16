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
	var wrote int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("length") != "" {
			w.Header().Set("Content-Length", "41943040")
		}
		chunk := make([]byte, 1<<20)
		for range 40 {
			n, err := w.Write(chunk)
			wrote += int64(n)
			if err != nil {
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
