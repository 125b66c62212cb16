package trust

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
	"gopkg.in/yaml.v3"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/internal/trustsrc"
	"github.com/mcpbuild/mcpbuild/verify"
)

// Schema version and kind of a trust policy file.
const (
	APIVersion = "mcpbuild.dev/v1alpha1"
	Kind       = "TrustPolicy"
)

// maxFileSize bounds a policy file.
const maxFileSize = 1 << 20

// Provenance requirements of a publisher.
const (
	ProvenanceRequired = "required"
	ProvenanceOptional = "optional" // verified when present (default)
	ProvenanceSkip     = "skip"
)

// Pos is a line and column in the policy file (1-based).
type Pos struct{ Line, Col int }

// Located is a string of the file with where it was written.
type Located struct {
	Value string
	Pos   Pos
	field string
}

// File is a decoded, valid trust policy file (see the package documentation).
type File struct {
	Path string
	// TransparencyLog applies to the publishers without their own.
	TransparencyLog *TransparencyLog
	Publishers      []*Publisher
}

// Publisher is one publishers[] entry.
type Publisher struct {
	Name                 string
	TrustLevel           verify.TrustLevel
	Keys                 []Located // PEM file (relative to the policy file), KMS URI or env://VAR
	SignaturesRepository string
	TransparencyLog      *TransparencyLog
	Provenance           string // ProvenanceRequired, ProvenanceOptional or ProvenanceSkip
	SignedRevision       bool
	Images               []Located // image patterns (verify.ImagePattern)

	Pos   Pos
	field string
}

// TransparencyLog is how a publisher's Rekor entries are trusted: exactly one field.
type TransparencyLog struct {
	PublicKey      string // PEM file of the log's key
	TrustedRoot    string // Sigstore trusted_root.json
	URL            string // the log's key is fetched once from <url>/api/v1/log/publicKey
	InsecureIgnore bool   // no transparency-log check (unsafe)

	Pos   Pos
	field string
}

// Load reads (a regular file of at most 1 MiB) and validates the policy file at path.
// Every problem is reported, as a *catalog.Diagnostic "path:line:col: field: message",
// joined with errors.Join. The key and trusted-root files it names are read the same way
// (regular files, at most trustsrc.MaxKeyFile and MaxTrustedRootFile bytes) by
// File.Policy.
func Load(path string) (*File, error) {
	b, err := trustsrc.ReadFile(path, maxFileSize)
	if err != nil {
		return nil, fmt.Errorf("reading trust policy: %w", err)
	}
	return Parse(path, b)
}

// Parse is Load on the file's content; path names it in diagnostics and anchors the
// relative paths it holds.
func Parse(path string, data []byte) (*File, error) {
	d := &decoder{path: path}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.errorf(nil, "", "empty file: want a %s document", Kind)
		} else {
			d.errorf(nil, "", "not YAML: %v", err)
		}
		return nil, d.err()
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		d.errorf(&extra, "", "one YAML document expected")
	}
	f := &File{Path: path}
	var apiVersion, kindV string
	if len(doc.Content) == 0 {
		d.errorf(nil, "", "empty file: want a %s document", Kind)
		return nil, d.err()
	}
	root := doc.Content[0]
	var pubsNode *yaml.Node
	d.mapping(root, "", map[string]func(*yaml.Node, string){
		"apiVersion": func(v *yaml.Node, fl string) {
			if apiVersion, _ = d.str(v, fl); apiVersion != "" && apiVersion != APIVersion {
				d.errorf(v, fl, "unsupported version %q (this version reads %s)", apiVersion, APIVersion)
			}
		},
		"kind": func(v *yaml.Node, fl string) {
			if kindV, _ = d.str(v, fl); kindV != "" && kindV != Kind {
				d.errorf(v, fl, "kind %q is not %s", kindV, Kind)
			}
		},
		"transparencyLog": func(v *yaml.Node, fl string) { f.TransparencyLog = d.tlog(v, fl) },
		"publishers": func(v *yaml.Node, fl string) {
			pubsNode = v
			if !d.plain(v, fl) {
				return
			}
			if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
				d.errorf(v, fl, "want a non-empty list of publishers, got %s", kind(v))
				return
			}
			if len(v.Content) > verify.MaxPublishers {
				d.errorf(v, fl, "%d publishers, at most %d", len(v.Content), verify.MaxPublishers)
			}
			for i, p := range v.Content {
				f.Publishers = append(f.Publishers, d.publisher(p, fmt.Sprintf("%s[%d]", fl, i)))
			}
		},
	})
	if root.Kind == yaml.MappingNode {
		for _, req := range []struct{ name, val, want string }{{"apiVersion", apiVersion, APIVersion}, {"kind", kindV, Kind}} {
			if req.val == "" && !hasKey(root, req.name) {
				d.errorf(root, req.name, "required (%s)", req.want)
			}
		}
		if pubsNode == nil {
			d.errorf(root, "publishers", "required: at least one publisher")
		}
	}
	d.crossCheck(f)
	if err := d.err(); err != nil {
		return nil, err
	}
	return f, nil
}

func hasKey(m *yaml.Node, k string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			return true
		}
	}
	return false
}

func (d *decoder) err() error {
	if len(d.diags) == 0 {
		return nil
	}
	errs := make([]error, len(d.diags))
	for i, x := range d.diags {
		errs[i] = x
	}
	return errors.Join(errs...)
}

func (d *decoder) publisher(n *yaml.Node, field string) *Publisher {
	p := &Publisher{Pos: posOf(n), field: field, Provenance: ProvenanceOptional}
	var levelNode *yaml.Node
	d.mapping(n, field, map[string]func(*yaml.Node, string){
		"name": func(v *yaml.Node, fl string) { p.Name, _ = d.str(v, fl) },
		"trustLevel": func(v *yaml.Node, fl string) {
			levelNode = v
			s, ok := d.str(v, fl)
			if ok && !verify.TrustLevel(s).Valid() {
				d.errorf(v, fl, "%q is not a trust level (official, verified or community)", s)
			}
			p.TrustLevel = verify.TrustLevel(s)
		},
		"keys": func(v *yaml.Node, fl string) {
			if p.Keys = d.strings(v, fl); len(p.Keys) > verify.MaxPublisherKeys {
				d.errorf(v, fl, "%d keys, at most %d (each may mean one more verification of an image)", len(p.Keys), verify.MaxPublisherKeys)
			}
		},
		"images": func(v *yaml.Node, fl string) { p.Images = d.strings(v, fl) },
		"signaturesRepository": func(v *yaml.Node, fl string) {
			if s, ok := d.str(v, fl); ok {
				if _, err := name.NewRepository(s, name.StrictValidation); err != nil {
					d.errorf(v, fl, "%v", err)
				}
				p.SignaturesRepository = s
			}
		},
		"transparencyLog": func(v *yaml.Node, fl string) { p.TransparencyLog = d.tlog(v, fl) },
		"requirements": func(v *yaml.Node, fl string) {
			d.mapping(v, fl, map[string]func(*yaml.Node, string){
				"provenance": func(v *yaml.Node, fl string) {
					s, ok := d.str(v, fl)
					if ok && !slices.Contains([]string{ProvenanceRequired, ProvenanceOptional, ProvenanceSkip}, s) {
						d.errorf(v, fl, "%q is not one of required, optional, skip", s)
					}
					p.Provenance = s
				},
				"signedRevision": func(v *yaml.Node, fl string) { p.SignedRevision = d.boolean(v, fl) },
			})
		},
	})
	if n.Kind == yaml.MappingNode {
		for _, req := range []struct {
			key string
			ok  bool
		}{{"name", hasKey(n, "name")}, {"trustLevel", levelNode != nil}, {"keys", hasKey(n, "keys")}, {"images", hasKey(n, "images")}} {
			if !req.ok {
				d.errorf(n, join(field, req.key), "required")
			}
		}
	}
	return p
}

func (d *decoder) tlog(n *yaml.Node, field string) *TransparencyLog {
	t := &TransparencyLog{Pos: posOf(n), field: field}
	set := 0
	ok := d.mapping(n, field, map[string]func(*yaml.Node, string){
		"publicKey":   func(v *yaml.Node, fl string) { t.PublicKey, _ = d.str(v, fl); set++ },
		"trustedRoot": func(v *yaml.Node, fl string) { t.TrustedRoot, _ = d.str(v, fl); set++ },
		"url": func(v *yaml.Node, fl string) {
			set++
			if s, ok := d.str(v, fl); ok {
				if err := trustsrc.CheckRekorURL(s); err != nil {
					d.errorf(v, fl, "%v", err)
				}
				t.URL = s
			}
		},
		"insecureIgnore": func(v *yaml.Node, fl string) {
			set++
			if t.InsecureIgnore = d.boolean(v, fl); !t.InsecureIgnore && v.Tag == "!!bool" {
				d.errorf(v, fl, "false says nothing: give publicKey, trustedRoot or url instead")
			}
		},
	})
	if ok && set != 1 {
		d.errorf(n, field, "give exactly one of publicKey, trustedRoot, url, insecureIgnore (got %d)", set)
	}
	return t
}

// crossCheck: unique names, a transparency log for everyone, patterns that parse and do
// not tie across publishers (verify.ImagePattern).
func (d *decoder) crossCheck(f *File) {
	names := map[string]*Publisher{}
	type pat struct {
		p   verify.ImagePattern
		pub *Publisher
		at  Located
	}
	var all []pat
	for _, p := range f.Publishers {
		if p.Name != "" {
			if o, dup := names[p.Name]; dup {
				d.errorf(&yaml.Node{Line: p.Pos.Line, Column: p.Pos.Col}, join(p.field, "name"),
					"%q is also the name of %s (line %d)", p.Name, o.field, o.Pos.Line)
			}
			names[p.Name] = p
		}
		if p.TransparencyLog == nil && f.TransparencyLog == nil {
			d.errorf(&yaml.Node{Line: p.Pos.Line, Column: p.Pos.Col}, join(p.field, "transparencyLog"),
				"required, here or at the top level: publicKey, trustedRoot, url or insecureIgnore")
		}
		for _, im := range p.Images {
			at := &yaml.Node{Line: im.Pos.Line, Column: im.Pos.Col}
			ip, err := verify.ParseImagePattern(im.Value)
			if err != nil {
				d.errorf(at, im.field, "%v", err)
				continue
			}
			for _, o := range all {
				if o.pub != p && o.p.Ambiguous(ip) {
					d.errorf(at, im.field, "%q is as specific as %q of publisher %q (%s:%d:%d): which one covers an image both match is ambiguous",
						im.Value, o.at.Value, o.pub.Name, f.Path, o.at.Pos.Line, o.at.Pos.Col)
				}
			}
			all = append(all, pat{ip, p, im})
		}
	}
	slices.SortStableFunc(d.diags, func(a, b *catalog.Diagnostic) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	})
}
