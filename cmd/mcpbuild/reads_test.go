package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/internal/hostile"
)

// A registry that serves what was not asked for (an HTML page with status 200 or a
// Docker schema1 manifest for the signatures tag, the image tag with a Docker-Content-
// Digest its bytes do not hash to) could not be checked: exit 3 naming what was wrong,
// with nothing built or written.
func TestPublishHostileContentIsExit3(t *testing.T) {
	for name, tc := range map[string]struct {
		path   string
		action hostile.Action
		want   string
	}{
		"sig HTML 200": {`\.sig$`, hostile.Respond(http.StatusOK, "<html>maintenance</html>", "Content-Type", "text/html"),
			"text/html is not accepted"},
		"sig schema1": {`\.sig$`, hostile.Respond(http.StatusOK, `{"schemaVersion":1,"fsLayers":[]}`,
			"Content-Type", "application/vnd.docker.distribution.manifest.v1+prettyjws"), "schema1"},
		"image tag with a lying digest": {`/v2/mcp/alpha/manifests/latest$`,
			hostile.SetHeader("Docker-Content-Digest", "sha256:"+strings.Repeat("0", 64)), "Docker-Content-Digest says"},
	} {
		t.Run(name, func(t *testing.T) {
			s, host := hostileRegistry(t)
			s.On(http.MethodGet, tc.path, tc.action)
			puts := s.Count(http.MethodPut, "")
			_, errOut, code, err := runWithin(t, 20*time.Second, "publish", "--registry", host, "--key", testKey, "--tlog-upload=false", catalogDir(t))
			if code != cliutil.ExitUnreachable || err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("exit %d: %v\n%s\nwant 3 naming %q", code, err, errOut, tc.want)
			}
			if n := s.Count(http.MethodPut, "") - puts; n != 0 {
				t.Errorf("%d PUTs; want nothing written", n)
			}
		})
	}
}
