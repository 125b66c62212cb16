package catalog

import (
	"strings"
	"testing"
)

func TestCheckCommit(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0123456789abcdef0123456789abcdef01234567", ""},
		{"0123456789ABCDEF0123456789abcdef01234567", "must be lowercase hex"},
		{"0123456", "is a short hash (7 chars)"},
		{"ABCDEF1", "is a short hash (7 chars)"},
		{"0123456789abcdef0123456789abcdef012345670", "is too long for a commit (41 chars)"},
		{strings.Repeat("ab", 32), "is 64 hex chars (a SHA-256 object name)"},
		{"main", "looks like a branch or tag name"},
		{"v1.2.3", "looks like a branch or tag name"},
		{"refs/heads/release/2.x", "looks like a branch or tag name"},
		{"HEAD", "moves with the branch"},
		{"HEAD~1", "moves with the branch"},
		{" 0123456789abcdef0123456789abcdef01234567", "is not a commit"},
		{"0123456789abcdef0123456789abcdef0123456g", "looks like a branch or tag name"},
	}
	for _, tt := range tests {
		got := checkCommit(tt.in)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("checkCommit(%q) = %q, want containing %q", tt.in, got, tt.want)
		}
	}
}

func TestCheckProject(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://github.com/example/x", ""},
		{"https://github.com/example/x.git", ""},
		{"https://git.example.com:8443/group/sub/x.git", ""},
		{"git://127.0.0.1:19418/mcp-monorepo.git", ""},
		{"ssh://git@github.com/example/x.git", ""},
		{"ssh://git@github.com:2222/example/x.git", ""},
		{"git@github.com:example/x.git", ""},
		{"deploy@git.example.com:/srv/x.git", ""},
		{"git@github.com:example/x.git#main", "must not have a query or fragment"},
		{"git@github.com:example/x.git?ref=main", "must not have a query or fragment"},
		{"first.last@github.com:example/x.git", "must be an https, git, ssh or file URL"},
		{"file:///srv/git/x.git", ""},
		{"file://localhost/srv/git/x.git", ""},
		{"http://github.com/example/x", "uses plain http"},
		{"HTTPS://github.com/example/x", `scheme "HTTPS" must be lowercase`},
		{"Git://127.0.0.1/x.git", `scheme "Git" must be lowercase`},
		{"ftp://example.com/x", `has scheme "ftp"`},
		{"https://user:pass@github.com/x", "must not embed credentials"},
		{"https://token@github.com/x", "must not embed credentials"},
		{"https://github.com/x?ref=main", "must not have a query or fragment"},
		{"https://github.com/x#main", "must not have a query or fragment"},
		{"https://github.com/x#", "must not have a query or fragment"},
		{"https://github.com", "has no repository path"},
		{"https:///x", "has no host"},
		{"file://host/srv/x", "must not name a host"},
		{"file:relative", "must be an https, git, ssh or file URL"},
		{"github.com/example/x", "must be an https, git, ssh or file URL"},
		{"git@-oProxyCommand=x:y", "must be an https, git, ssh or file URL"},
		{"../x", "must be an https, git, ssh or file URL"},
		{"https://github.com/ex ample", "contains whitespace"},
		{"https://[::1", "is not a valid URL"},
	}
	for _, tt := range tests {
		got := checkProject(tt.in)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("checkProject(%q) = %q, want containing %q", tt.in, got, tt.want)
		}
	}
	if got := checkProject("https://user:hunter2@github.com/x"); strings.Contains(got, "hunter2") {
		t.Errorf("checkProject leaks the password: %q", got)
	}
}

func TestCheckImageAndPaths(t *testing.T) {
	for _, tt := range []struct {
		check func(string) string
		in    string
		want  string
	}{
		{checkImage, "mcp/fetch", ""},
		{checkImage, "ghcr.io/org/sub/fetch", ""},
		{checkImage, "localhost:5000/fetch", ""},
		{checkImage, "mcp/fetch:latest", ""}, // a warning (imageTagNote), not an error
		{checkImage, "localhost:5000/fetch:v1", ""},
		{checkImage, "localhost:5000/fetch:", `tag "" is not a valid tag`},
		{checkImage, "localhost:5000/fetch:-v1", `tag "-v1" is not a valid tag`},
		{checkImage, "MCP/fetch:v1", `"MCP/fetch" is not a valid OCI repository reference`},
		{checkImage, "mcp/fetch@sha256:" + strings.Repeat("0", 64), "must not carry a digest"},
		{checkImage, "MCP/fetch", "is not a valid OCI repository reference"},
		{checkImage, "mcp//fetch", "is not a valid OCI repository reference"},
		{checkToolImage, "alpine/curl", ""},
		{checkToolImage, "linuxserver/ffmpeg:version-7.1-cli", ""},
		{checkToolImage, "busybox@sha256:" + strings.Repeat("0", 64), ""},
		{checkToolImage, "Not Valid", "is not a valid image reference"},
		{checkRelPath, "", ""},
		{checkRelPath, ".", ""},
		{checkRelPath, "src/server", ""},
		{checkRelPath, "build/Dockerfile.mcp", ""},
		{checkRelPath, "a..b/c", ""},
		{checkRelPath, "/src", "not absolute"},
		{checkRelPath, `C:\src`, "not absolute"},
		{checkRelPath, `src\server`, "forward slashes"},
		{checkRelPath, "..", `must not contain ".."`},
		{checkRelPath, "a/../../b", `must not contain ".."`},
		{checkRelPath, "a/#b", "not allowed"},
		{checkRelPath, "  ", "leading or trailing whitespace"},
		{checkRelPath, "src/server ", "leading or trailing whitespace"},
		{checkRemoteURL, "https://mcp.example.com/mcp", ""},
		{checkRemoteURL, "http://localhost:8080/sse", ""},
		{checkRemoteURL, "wss://mcp.example.com", "must be an https or http URL"},
		{checkRemoteURL, "https://", "has no host"},
		{checkRemoteURL, "https://u:p@mcp.example.com", "must not embed credentials"},
		{checkRemoteURL, "https://mcp.example.com/\u202emcp", "bidirectional control U+202E"},
		{checkDirectory, "servers/alpha", ""},
		{checkDirectory, "servers/%2e%2e", "must not contain '%'"},
		{checkDirectory, "servers:alpha", "must not contain ':'"},
		{checkDirectory, "../alpha", `must not contain ".."`},
		{checkRelPath, "Dockerfile?x", `contains '?'`},
	} {
		got := tt.check(tt.in)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("check(%q) = %q, want containing %q", tt.in, got, tt.want)
		}
	}
}

func TestContextURL(t *testing.T) {
	const c = "0123456789abcdef0123456789abcdef01234567"
	for _, tt := range []struct{ project, dir, want string }{
		{"https://github.com/example/x", "", "https://github.com/example/x.git#" + c},
		{"https://github.com/example/x/", ".", "https://github.com/example/x.git#" + c},
		{"https://github.com/example/x.git", "src/a/", "https://github.com/example/x.git#" + c + ":src/a"},
		{"git://127.0.0.1:19418/m.git", "./servers//alpha", "git://127.0.0.1:19418/m.git#" + c + ":servers/alpha"},
		{"git@github.com:example/x.git", "", "git@github.com:example/x.git#" + c},
	} {
		s := &Server{Source: Source{Project: tt.project, Commit: c, Directory: tt.dir}}
		if got := s.ContextURL(); got != tt.want {
			t.Errorf("ContextURL(%q, %q) = %q, want %q", tt.project, tt.dir, got, tt.want)
		}
	}
}

func TestCheckImageOCIGrammar(t *testing.T) {
	for in, ok := range map[string]bool{
		"mcp/kgrag_mcp_server": true, "a/b__c/d--e": true, "a.b/c": true,
		"mcp//fetch": false, "mcp/fetch/": false, "mcp/_fetch": false, "mcp/fetch-": false, "mcp/a___b": false,
	} {
		if got := checkImage(in); (got == "") != ok {
			t.Errorf("checkImage(%q) = %q, want ok=%v", in, got, ok)
		}
	}
}
