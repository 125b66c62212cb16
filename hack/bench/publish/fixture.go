package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// server is one catalog entry of the synthetic catalog.
type server struct {
	name, image, project, commit, dir string
}

// gitDaemon serves the bench's repositories on a free loopback port until Close.
type gitDaemon struct {
	cmd  *exec.Cmd
	base string
	addr string
}

// startGitDaemon serves every repository under base (git daemon --export-all).
func startGitDaemon(base string) (*gitDaemon, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	l.Close()
	c := exec.Command("git", "daemon", "--reuseaddr", "--export-all", "--informative-errors",
		"--base-path="+base, "--listen=127.0.0.1", "--port="+port, base)
	c.Stdout, c.Stderr = os.Stderr, os.Stderr
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // git runs git-daemon as its child: stop both
	if err := c.Start(); err != nil {
		return nil, fmt.Errorf("starting git daemon: %w", err)
	}
	g := &gitDaemon{cmd: c, base: base, addr: addr}
	for deadline := time.Now().Add(10 * time.Second); ; {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return g, nil
		}
		if time.Now().After(deadline) {
			g.Close()
			return nil, fmt.Errorf("git daemon on %s did not start: %w", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Close stops the daemon this program started: its process group (git and the
// git-daemon it runs), nothing else.
func (g *gitDaemon) Close() {
	if g.cmd.Process != nil {
		_ = syscall.Kill(-g.cmd.Process.Pid, syscall.SIGTERM)
		_ = g.cmd.Wait()
	}
}

// makeRepos creates repos repositories under g's base, n servers spread over them, each a
// directory with a `FROM scratch` Dockerfile copying a file unique to this run and server,
// and writes the catalog (catalogDir/servers/<name>/server.yaml pinned to the commits,
// images under prefix).
func makeRepos(ctx context.Context, g *gitDaemon, catalogDir, runID, prefix string, n, repos int) ([]server, error) {
	var out []server
	for r := range repos {
		repo := fmt.Sprintf("r%02d", r)
		dir := filepath.Join(g.base, repo)
		var names []server
		for i := r; i < n; i += repos {
			s := server{name: fmt.Sprintf("bench-%s-s%03d", repo, i), dir: fmt.Sprintf("s%03d", i)}
			names = append(names, s)
			sd := filepath.Join(dir, s.dir)
			if err := os.MkdirAll(sd, 0o755); err != nil {
				return nil, err
			}
			if err := os.WriteFile(filepath.Join(sd, "Dockerfile"), []byte("FROM scratch\nCOPY id.txt /id.txt\n"), 0o644); err != nil {
				return nil, err
			}
			if err := os.WriteFile(filepath.Join(sd, "id.txt"), fmt.Appendf(nil, "%s %s %s\n", runID, repo, s.dir), 0o644); err != nil {
				return nil, err
			}
		}
		if len(names) == 0 {
			continue
		}
		for _, args := range [][]string{
			{"init", "-q", "-b", "main"},
			{"add", "."},
			{"-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "commit", "-q", "-m", "bench " + runID},
		} {
			if err := git(ctx, dir, args...); err != nil {
				return nil, err
			}
		}
		commit, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "HEAD").Output()
		if err != nil {
			return nil, fmt.Errorf("git rev-parse in %s: %w", dir, err)
		}
		for _, s := range names {
			s.project = fmt.Sprintf("git://%s/%s", g.addr, repo)
			s.commit = strings.TrimSpace(string(commit))
			s.image = prefix + "/" + s.name
			out = append(out, s)
		}
	}
	for _, s := range out {
		d := filepath.Join(catalogDir, "servers", s.name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
		yaml := fmt.Sprintf(`name: %s
image: %s
type: server
about:
  title: Bench %s
source:
  project: %s
  commit: %s
  directory: %s
`, s.name, s.image, s.name, s.project, s.commit, s.dir)
		if err := os.WriteFile(filepath.Join(d, "server.yaml"), []byte(yaml), 0o644); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func git(ctx context.Context, dir string, args ...string) error {
	c := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	if out, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("git %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return nil
}
