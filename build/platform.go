package build

import (
	"fmt"
	"sort"
	"strings"

	"github.com/containerd/platforms"
)

// MaxPlatforms bounds the platforms of one build (and what mcpverify reads of an index).
const MaxPlatforms = 16

// ParsePlatforms reads platform values as given to --platform (each one or several
// comma-separated, e.g. "linux/amd64,linux/arm64"), with containerd's platform parser:
// os/arch[/variant], normalized ("linux/aarch64" is linux/arm64, "linux/arm64/v8" is
// linux/arm64). It refuses an empty value, a value without an OS and an architecture,
// a platform named twice (after normalizing) and more than MaxPlatforms. The result is
// sorted, so that one set of platforms plans one build whatever the order given; nil
// when no value is given (the daemon's platform).
func ParsePlatforms(values []string) ([]string, error) {
	var out []string
	seen := map[string]string{}
	for _, v := range values {
		for _, s := range strings.Split(v, ",") {
			s = strings.TrimSpace(s)
			p, err := parsePlatform(s)
			if err != nil {
				return nil, err
			}
			if prev, ok := seen[p]; ok {
				return nil, fmt.Errorf("platform %q is given twice (as %q and %q)", p, prev, s)
			}
			seen[p] = s
			out = append(out, p)
		}
	}
	if len(out) > MaxPlatforms {
		return nil, fmt.Errorf("%d platforms given, at most %d", len(out), MaxPlatforms)
	}
	sort.Strings(out)
	return out, nil
}

// parsePlatform parses and normalizes one platform.
func parsePlatform(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("empty platform: want os/arch[/variant], e.g. linux/amd64")
	}
	if !strings.Contains(s, "/") {
		return "", fmt.Errorf("platform %q: want os/arch[/variant], e.g. linux/amd64 (no part is implied)", s)
	}
	p, err := platforms.Parse(s)
	if err != nil {
		return "", fmt.Errorf("platform %q: %v", s, err)
	}
	return platforms.Format(platforms.Normalize(p)), nil
}
