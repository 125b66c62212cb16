package source

import (
	"strings"
	"testing"
)

// fixtureTrees: commit 1 holds every case; commit 2 moves servers/good forward and
// touches a file outside its context.
func fixtureTrees() []map[string]string {
	c1 := map[string]string{
		"Dockerfile":                "FROM alpine\nCOPY app.txt /app/\n",
		"app.txt":                   "v1\n",
		"servers/good/Dockerfile":   "FROM alpine AS base\nCOPY . /src\nFROM base\nCOPY --from=base /src /x\nCOPY *.json /y/\nADD https://example.invalid/x /z\n",
		"servers/good/package.json": "{\"v\": 1}\n",
		"src/memory/Dockerfile":     "FROM node\nWORKDIR /app\nCOPY src/memory /app\n",
		"src/memory/index.js":       "x\n",
		"escape/Dockerfile":         "FROM alpine\nCOPY ../shared /x\n",
		"multi/Dockerfile":          "FROM alpine AS build\nCOPY main.go /\nFROM alpine AS debug\nCOPY missing.txt /\nFROM build AS runtime\nRUN true\n",
		"multi/main.go":             "package main\n",
	}
	c2 := map[string]string{}
	for k, v := range c1 {
		c2[k] = v
	}
	c2["servers/good/package.json"] = "{\"v\": 2}\n"
	c2["servers/good/new.txt"] = "new\n"
	c2["app.txt"] = "v2\n"
	return []map[string]string{c1, c2}
}

func TestCheck(t *testing.T) {
	r := makeRepo(t, fixtureTrees(), "tag release 0", "branch stable 0")
	c1, c2 := r.commits[0], r.commits[1]
	type want struct {
		sev             Severity
		field, file, in string
		line            int
	}
	tests := []struct {
		name string
		pin  Pin
		want []want
	}{
		{"root", Pin{Commit: c1, Branch: "main"}, nil},
		{"good at the tip, default branch", Pin{Commit: c2, Directory: "servers/good"}, nil},
		{"multi runtime skips the debug stage", Pin{Commit: c1, Branch: "main", Directory: "multi", Target: "runtime"}, nil},
		{"missing commit", Pin{Commit: strings.Repeat("ab", 20), Branch: "main"},
			[]want{{Error, "source.commit", "", "does not exist on the remote", 0}}},
		{"missing directory", Pin{Commit: c1, Branch: "main", Directory: "src/nothere"},
			[]want{{Error, "source.directory", "", `directory "src/nothere" does not exist`, 0}}},
		{"no dockerfile", Pin{Commit: c1, Branch: "main", Directory: "servers/good", Dockerfile: "build/Dockerfile"},
			[]want{{Error, "source.dockerfile", "", "no Dockerfile at servers/good/build/Dockerfile", 0}}},
		{"copy from the repository root", Pin{Commit: c1, Branch: "main", Directory: "src/memory"},
			[]want{{Error, "source.directory", "src/memory/Dockerfile", `COPY source "src/memory" does not exist in the build context (src/memory); src/memory exists from the repository root`, 3}}},
		{"copy outside the context", Pin{Commit: c1, Branch: "main", Directory: "escape"},
			[]want{{Error, "source.directory", "escape/Dockerfile", `COPY source "../shared" escapes the build context (escape)`, 2}}},
		{"missing target", Pin{Commit: c1, Branch: "main", Directory: "multi", Target: "nope"},
			[]want{{Error, "source.buildTarget", "multi/Dockerfile", `target "nope" is not a stage of the Dockerfile (named stages: build, debug, runtime)`, 0}}},
		{"debug target copies a missing file", Pin{Commit: c1, Branch: "main", Directory: "multi", Target: "debug"},
			[]want{{Error, "source.directory", "multi/Dockerfile", `COPY source "missing.txt" does not exist`, 4}}},
		{"tag named as a branch", Pin{Commit: c1, Branch: "release"},
			[]want{{Warning, "source.branch", "", `"release" is a tag on the remote, not a branch`, 0}}},
		{"not reachable from its branch", Pin{Commit: c2, Branch: "stable"},
			[]want{{Error, "source.commit", "", `is not reachable from branch "stable"`, 0}}},
		{"no such branch", Pin{Commit: c1, Branch: "nope"},
			[]want{{Error, "source.branch", "", `branch "nope" does not exist on the remote`, 0}}},
	}
	var pins []Pin
	for _, tt := range tests {
		tt.pin.Remote, tt.pin.Server = r.url, tt.name
		pins = append(pins, tt.pin)
	}
	res := newTestClient(t).Check(bg, pins)
	for i, tt := range tests {
		got := res[i]
		if got.Err != nil {
			t.Errorf("%s: Check() error %v", tt.name, got.Err)
			continue
		}
		if len(got.Findings) != len(tt.want) {
			t.Errorf("%s: Check() = %+v, want %d findings", tt.name, got.Findings, len(tt.want))
			continue
		}
		for j, w := range tt.want {
			f := got.Findings[j]
			if f.Severity != w.sev || f.Field != w.field || f.File != w.file || f.Line != w.line || !strings.Contains(f.Message, w.in) {
				t.Errorf("%s: finding %+v, want %+v", tt.name, f, w)
			}
		}
	}
}

func TestCheckUnreachable(t *testing.T) {
	c, err := New(WithTempDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	res := c.Check(bg, []Pin{{Remote: "git://127.0.0.1:1/none.git", Commit: strings.Repeat("a", 40)}})
	var re *RemoteError
	if !asRemote(res[0].Err, &re) || re.Op != "ls-remote" {
		t.Fatalf("Check() on a closed port: %v, want a *RemoteError from ls-remote", res[0].Err)
	}
}

func TestFileRemotesNeedTheOption(t *testing.T) {
	r := makeRepo(t, fixtureTrees())
	c, err := New(WithTempDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListRefs(bg, r.url); err == nil || !strings.Contains(err.Error(), "only git:// and https://") {
		t.Fatalf("ListRefs(file://) without WithFileRemotes = %v, want refused", err)
	}
	for _, u := range []string{"ssh://h/x", "https://user:pw@h/x", "https://h/x?q", "--upload-pack=x", "git://"} {
		if _, err := c.ListRefs(bg, u); err == nil {
			t.Errorf("ListRefs(%q) = nil error, want refused", u)
		}
	}
}

func TestOptionsRejectConflicts(t *testing.T) {
	for _, opts := range [][]Option{
		{}, // no temp dir
		{WithTempDir(t.TempDir()), WithEnv("GIT_DIR=/x")},
		{WithTempDir(t.TempDir()), WithEnv("nope")},
		{WithTempDir(t.TempDir()), WithCallTimeout(0)},
	} {
		if _, err := New(opts...); err == nil {
			t.Errorf("New(%d options) = nil error, want one", len(opts))
		}
	}
}

// TestFetchIsBlobless: against a remote that serves filters, Fetch brings commits and
// trees only; a file read fetches its blob on demand.
func TestFetchIsBlobless(t *testing.T) {
	r := makeRepo(t, fixtureTrees())
	c := newTestClient(t)
	repo, missing, err := c.Fetch(bg, r.url, r.commits)
	if err != nil || len(missing) != 0 {
		t.Fatalf("Fetch() = %v, missing %v", err, missing)
	}
	defer repo.Close()
	blobs := func() int {
		out, err := c.git.run(bg, repo.dir, "cat-file", "--batch-check", "--batch-all-objects")
		if err != nil {
			t.Fatal(err)
		}
		return strings.Count(string(out), " blob ")
	}
	if n := blobs(); n != 0 {
		t.Errorf("%d blobs after Fetch, want 0", n)
	}
	body, err := repo.ReadFile(bg, r.commits[0], "app.txt", 100)
	if err != nil || string(body) != "v1\n" {
		t.Fatalf("ReadFile(app.txt) = %q, %v", body, err)
	}
	if n := blobs(); n != 1 {
		t.Errorf("%d blobs after one read, want 1", n)
	}
	if _, err := repo.ReadFile(bg, r.commits[0], "servers/good/Dockerfile", 10); err == nil || !strings.Contains(err.Error(), "larger than 10 bytes") {
		t.Errorf("ReadFile over its limit = %v", err)
	}
}
