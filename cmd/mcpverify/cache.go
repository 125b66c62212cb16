package main

import (
	"path/filepath"
	"runtime"

	"github.com/spf13/pflag"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/verify"
)

// cacheOptions say where what is read by digest is kept between runs (verify.Cache).
type cacheOptions struct {
	dir     string
	noCache bool
}

func (o *cacheOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.dir, "cache-dir", "", "directory of the content-addressed cache of manifests, configs and signature payloads read by digest; tags are then resolved with HEAD (default <user cache dir>/mcpverify)")
	f.BoolVar(&o.noCache, "no-cache", false, "read everything from the registry (GET), keep nothing")
}

// cacheOption opens the cache once per run: --cache-dir, else mcpverify under the user's
// cache directory (none when the environment names none), nothing with --no-cache.
func (c *common) cacheOption() ([]verify.Option, error) {
	o := c.reg.cache
	switch {
	case o.noCache && o.dir != "":
		return nil, cliutil.Usagef("--no-cache and --cache-dir conflict: choose one")
	case o.noCache:
		return nil, nil
	case c.cache != nil:
		return []verify.Option{verify.WithCache(c.cache)}, nil
	}
	dir := o.dir
	if dir == "" {
		base := userCacheDir(c.getenv)
		if base == "" {
			c.logger.Debug("no user cache directory in the environment: no cache")
			return nil, nil
		}
		dir = filepath.Join(base, "mcpverify")
	}
	cache, err := verify.OpenCache(dir, 0)
	if err != nil {
		if o.dir != "" {
			return nil, cliutil.Usagef("--cache-dir: %v", err)
		}
		c.logger.Warn("cache unavailable, reading everything from the registry", "err", err)
		return nil, nil
	}
	c.cache = cache
	return []verify.Option{verify.WithCache(cache)}, nil
}

// userCacheDir is os.UserCacheDir's rule, reading the environment through getenv: ""
// when it names none.
func userCacheDir(getenv func(string) string) string {
	switch runtime.GOOS {
	case "windows":
		return getenv("LocalAppData")
	case "darwin", "ios":
		if h := getenv("HOME"); h != "" {
			return filepath.Join(h, "Library", "Caches")
		}
		return ""
	case "plan9":
		if h := getenv("home"); h != "" {
			return filepath.Join(h, "lib", "cache")
		}
		return ""
	}
	if d := getenv("XDG_CACHE_HOME"); filepath.IsAbs(d) {
		return d
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".cache")
	}
	return ""
}
