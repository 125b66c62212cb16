package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is USER_HZ, the unit of /proc/<pid>/stat's times (100 on every Linux
// architecture the stack runs on).
const clockTick = 100

// components are the stack's processes whose CPU the bench reports, by the pid files
// hack/stack writes under $MCPBUILD_STATE/pids.
var components = []struct {
	name string
	pids []string
}{
	{"buildkitd", []string{"buildkitd.pid"}},
	{"registry", []string{"registry.pid"}},
	{"Rekor stack", []string{"rekor.pid", "trillian-log.pid", "trillian-signer.pid", "mariadb.pid"}},
}

// cpuSnap is the CPU time used so far by each component (own and reaped children, e.g.
// buildkitd's git and runc), by this process (the counting and latency proxies: "bench
// proxies") and by its reaped children (mcpbuild, or buildctl and cosign: "client").
type cpuSnap map[string]time.Duration

// snapCPU reads the CPU times of the stack's processes (state: $MCPBUILD_STATE) and of the
// bench itself. A component whose pid file or /proc entry cannot be read is left out.
func snapCPU(state string) cpuSnap {
	s := cpuSnap{}
	for _, c := range components {
		for _, f := range c.pids {
			raw, err := os.ReadFile(filepath.Join(state, "pids", f))
			if err != nil {
				continue
			}
			if d, err := procCPU(strings.TrimSpace(string(raw))); err == nil {
				s[c.name] += d
			}
		}
	}
	var self, children syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &self) == nil {
		s["bench proxies"] = time.Duration(self.Utime.Nano() + self.Stime.Nano())
	}
	if syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children) == nil {
		s["client"] = time.Duration(children.Utime.Nano() + children.Stime.Nano())
	}
	return s
}

// procCPU returns utime+stime+cutime+cstime of pid from /proc/<pid>/stat.
func procCPU(pid string) (time.Duration, error) {
	raw, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: fields are counted after its ')'.
	i := strings.LastIndexByte(string(raw), ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%s/stat: no ')'", pid)
	}
	f := strings.Fields(string(raw[i+1:])) // f[0] is field 3 (state)
	if len(f) < 15 {
		return 0, fmt.Errorf("/proc/%s/stat: %d fields", pid, len(f))
	}
	var ticks int64
	for _, k := range []int{11, 12, 13, 14} { // fields 14-17: utime stime cutime cstime
		n, err := strconv.ParseInt(f[k], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%s/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTick, nil
}

// since returns the CPU used by each component between before and s.
func (s cpuSnap) since(before cpuSnap) cpuSnap {
	out := cpuSnap{}
	for k, v := range s {
		if b, ok := before[k]; ok {
			out[k] = v - b
		}
	}
	return out
}

// perServer formats the CPU of each component, the client named client (mcpbuild, or
// buildctl+cosign) and the bench's proxies, per server of n, in a fixed order; total is
// their sum.
func (s cpuSnap) perServer(client string, n int) (string, time.Duration) {
	var parts []string
	var total time.Duration
	add := func(name string, d time.Duration) {
		per := d / time.Duration(n)
		total += per
		parts = append(parts, fmt.Sprintf("%s %d ms", name, per.Milliseconds()))
	}
	for _, c := range components {
		if d, ok := s[c.name]; ok {
			add(c.name, d)
		}
	}
	if d, ok := s["client"]; ok {
		add(client, d)
	}
	if d, ok := s["bench proxies"]; ok {
		add("bench proxies", d)
	}
	return strings.Join(parts, ", "), total
}
