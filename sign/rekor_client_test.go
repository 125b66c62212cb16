package sign_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpbuild/mcpbuild/sign"
)

const testUUID = "24296fb24b8ad77a" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// entryJSON is a Rekor answer holding one entry (the SET is not checked here: Service does).
func entryJSON(logIndex int64) []byte {
	b, _ := json.Marshal(map[string]any{testUUID: map[string]any{
		"body": "e30=", "integratedTime": 1700000000, "logID": strings.Repeat("ab", 32), "logIndex": logIndex,
		"verification": map[string]any{"signedEntryTimestamp": "c2V0"},
	}})
	return b
}

// An upload the log already holds (409) returns the existing entry, fetched by the UUID
// the answer names; while the log still reports it missing (queued, not yet integrated),
// it is asked again.
func TestRekorUploadOfAnExistingEntry(t *testing.T) {
	var gets atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/api/v1/log/entries":
			w.Header().Set("Location", "/api/v1/log/entries/"+testUUID)
			w.WriteHeader(http.StatusConflict)
			_, _ = w.Write([]byte(`{"code":409,"message":"an equivalent entry already exists in the transparency log"}`))
		case r.Method == http.MethodGet && r.URL.Path == "/api/v1/log/entries/"+testUUID:
			if gets.Add(1) < 3 {
				w.WriteHeader(http.StatusNotFound)
				_, _ = w.Write([]byte(`{"code":404,"message":"not found"}`))
				return
			}
			_, _ = w.Write(entryJSON(42))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	r, err := sign.NewRekor(srv.URL, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.UploadSignature(context.Background(), []byte("sig"), []byte("payload"), []byte("pem"))
	if err != nil || b.Payload.LogIndex != 42 || gets.Load() != 3 {
		t.Fatalf("UploadSignature = %+v, %v after %d reads; want entry 42 after 3", b, err, gets.Load())
	}
	b, err = r.UploadAttestation(context.Background(), []byte(`{"payloadType":"x"}`), []byte("pem"))
	if err != nil || b.Payload.LogIndex != 42 {
		t.Fatalf("UploadAttestation = %+v, %v; want entry 42", b, err)
	}
	// An entry that never shows up: the caller's deadline ends the wait.
	gets.Store(-1000)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var te *sign.TLogError
	if _, err := r.UploadSignature(ctx, []byte("sig"), []byte("payload"), []byte("pem")); !errors.As(err, &te) || !strings.Contains(err.Error(), testUUID) {
		t.Errorf("UploadSignature of an entry that stays missing = %v, want a TLogError naming it", err)
	}
}

// Every call has a deadline, and no answer is read beyond maxRekorResponse.
func TestRekorDeadlineAndBoundedAnswers(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/log/entries": // hangs
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/api/v1/log": // endless
			_, _ = w.Write([]byte(`{"rootHash":"`))
			chunk := []byte(strings.Repeat("0", 64<<10))
			for i := 0; i < 64; i++ {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	r, err := sign.NewRekor(srv.URL, 1, sign.WithRequestTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var te *sign.TLogError
	if _, err := r.UploadSignature(context.Background(), []byte("sig"), []byte("payload"), []byte("pem")); !errors.As(err, &te) {
		t.Errorf("upload to a hanging log = %v, want a TLogError", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("upload to a hanging log returned after %v", d)
	}
	if _, err := r.LogInfo(context.Background()); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("LogInfo with a 4 MiB answer = %v, want the size limit", err)
	}
	if _, err := sign.NewRekor(srv.URL, 0, sign.WithRequestTimeout(0)); err == nil {
		t.Error("NewRekor with a zero timeout: want an error")
	}
}
