package catalog

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The rules below are the offline checks of Docker's registry CI (docker/mcp-registry
// cmd/validate) that the rest of the validator does not already make stricter, with the
// entries Docker grandfathers. Docker's network checks (license, icon, pulling images,
// listing a remote's tools) and its YAML formatting check are not made.

// legacyNames are the names Docker's registry exempts from ^[a-z0-9-]+$.
var legacyNames = map[string]bool{"SQLite": true, "osp_marketing_tools": true, "youtube_transcript": true}

// legacySecretNames are the secret names, per entry, that Docker exempts from prefix.name.
var legacySecretNames = map[string]map[string]bool{
	"nasdaq-data-link": {"nasdaq_data_link_api_key": true},
	"sec-edgar":        {"sec_edgar_user_agent": true},
}

// oauthWithoutDynamicTools are the entries Docker lets declare OAuth without dynamic tools.
var oauthWithoutDynamicTools = map[string]bool{"github-official": true}

// secretNameRE is Docker's prefix.name form of a secret name.
var secretNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9._-]+$`)

func (v *validator) dockerRules() {
	s := v.s
	v.title()
	if c := s.Config; c != nil {
		for i, sec := range c.Secrets {
			f := fmt.Sprintf("config.secrets[%d].name", i)
			switch {
			case sec.Name == "" || secretNameRE.MatchString(sec.Name):
			case legacySecretNames[s.Name][sec.Name]:
				v.softf(f, "%q is a legacy secret name that Docker's registry grandfathers; secret names have the form prefix.name", sec.Name)
			default:
				v.errorf(f, "%q must have the form prefix.name (letters, digits, '_' and '-', a '.', then letters, digits, '_', '-' and '.'), as Docker's registry requires", sec.Name)
			}
		}
		for i, e := range c.Env {
			if strings.HasPrefix(e.Value, "{{") && s.Name != "" && !strings.HasPrefix(e.Value, "{{"+s.Name+".") {
				v.errorf(fmt.Sprintf("config.env[%d].value", i), "%q refers to a parameter of another server; Docker's registry requires {{%s.<parameter>}}", e.Value, s.Name)
			}
		}
	}
	if len(s.OAuth) > 0 && (s.Dynamic == nil || !s.Dynamic.Tools) {
		const msg = "an entry with OAuth must declare dynamic.tools: true, as Docker's registry requires"
		if oauthWithoutDynamicTools[s.Name] {
			v.softf("oauth", "%s (Docker grandfathers this entry)", msg)
		} else {
			v.errorf("oauth", "%s", msg)
		}
	}
}

// title applies Docker's title rules for new entries: no "MCP" or "Server", every word
// capitalized but "and" and "for". Docker's registry holds older entries that break them,
// so they are warnings (errors with Options.Strict).
func (v *validator) title() {
	t := v.s.About.Title
	for _, w := range []string{"MCP", "Server"} {
		if strings.Contains(t, w) {
			v.softf("about.title", "%q contains %q, which Docker's registry refuses in new titles", t, w)
			return
		}
	}
	for _, w := range strings.Fields(t) {
		if r, _ := utf8.DecodeRuneInString(w); unicode.IsLower(r) && w != "and" && w != "for" {
			v.softf("about.title", "%q: word %q is not capitalized, which Docker's registry refuses in new titles", t, w)
			return
		}
	}
}
