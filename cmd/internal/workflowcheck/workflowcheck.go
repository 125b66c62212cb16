// Package workflowcheck finds the mcpbuild and mcpverify command lines in a GitHub
// Actions workflow and checks them against a cobra command tree, so that an example
// workflow cannot silently drift from the flags the binaries accept. Only tests import it.
package workflowcheck

import (
	"fmt"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"unicode"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

// Command is one invocation of a binary in a run step: its arguments, shell words with
// the quotes removed (a variable or a $(...) substitution stays one opaque word).
type Command struct {
	Job  string
	Args []string
}

func (c Command) String() string { return c.Job + ": " + strings.Join(c.Args, " ") }

// Script is the run script of one step.
type Script struct {
	Job, Run string
}

// Scripts returns the run scripts of the workflow at file, job by job (sorted by name).
func Scripts(file string) ([]Script, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Run string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		return nil, fmt.Errorf("parsing workflow %s: %w", file, err)
	}
	var out []Script
	for _, job := range slices.Sorted(maps.Keys(wf.Jobs)) {
		for _, s := range wf.Jobs[job].Steps {
			if s.Run != "" {
				out = append(out, Script{Job: job, Run: s.Run})
			}
		}
	}
	return out, nil
}

// Commands returns every invocation of bin (a word naming it or a path ending in /bin,
// in command position) in the run scripts of the workflow at file, in order.
func Commands(file, bin string) ([]Command, error) {
	scripts, err := Scripts(file)
	if err != nil {
		return nil, err
	}
	var out []Command
	for _, s := range scripts {
		for _, args := range invocations(s.Run, bin) {
			out = append(out, Command{Job: s.Job, Args: args})
		}
	}
	return out, nil
}

// Operators end a simple command; keywords start one.
var (
	operators = map[string]bool{";": true, "|": true, "||": true, "&&": true, "&": true, "(": true, ")": true,
		">": true, ">>": true, "<": true, "2>": true, "2>&1": true}
	keywords = map[string]bool{"then": true, "do": true, "else": true, "if": true, "while": true, "until": true, "!": true, "time": true}
)

// invocations splits script into shell words and returns the arguments of each command
// whose first word is bin; $(...) substitutions are scanned too.
func invocations(script, bin string) [][]string {
	words, subs := split(script)
	var out [][]string
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w.quoted || (w.text != bin && path.Base(w.text) != bin) {
			continue
		}
		if i > 0 && !words[i-1].op && !keywords[words[i-1].text] {
			continue // an argument, not a command
		}
		var args []string
		for i++; i < len(words) && !words[i].op; i++ {
			args = append(args, words[i].text)
		}
		if i < len(words) && (words[i].text == ">" || words[i].text == ">>" || words[i].text == "2>") {
			i++ // the redirection's target
		}
		out = append(out, args)
	}
	for _, s := range subs {
		out = append(out, invocations(s, bin)...)
	}
	return out
}

type word struct {
	text   string
	op     bool // an operator or a line break
	quoted bool // held a quote: never a command name here
}

// split is a small POSIX-shell word splitter: quotes, backslash escapes and line
// continuations, comments, operators, and $(...) kept whole (returned in subs as well).
func split(s string) (words []word, subs []string) {
	var cur strings.Builder
	inWord, quoted := false, false
	flush := func() {
		if inWord {
			words = append(words, word{text: cur.String(), quoted: quoted})
		}
		cur.Reset()
		inWord, quoted = false, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			if s[i] != '\n' {
				cur.WriteByte(s[i])
				inWord = true
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				j = len(s) - i - 1
			}
			cur.WriteString(s[i+1 : i+1+j])
			inWord, quoted, i = true, true, i+1+j
		case c == '"':
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				switch {
				case s[j] == '\\':
					j++
				case s[j] == '$' && j+1 < len(s) && s[j+1] == '(':
					j = matchParen(s, j+1) // quotes inside $(...) are its own
				}
			}
			inner := s[i+1 : min(j, len(s))]
			subs = append(subs, substitutions(inner)...)
			cur.WriteString(inner)
			inWord, quoted, i = true, true, j
		case c == '$' && i+1 < len(s) && s[i+1] == '(':
			end := matchParen(s, i+1)
			subs = append(subs, s[i+2:end])
			cur.WriteString(s[i:min(end+1, len(s))])
			inWord, i = true, end
		case c == '#' && !inWord:
			for i < len(s) && s[i] != '\n' {
				i++
			}
			i--
		case c == ' ' || c == '\t':
			flush()
		case c == '\n':
			flush()
			words = append(words, word{text: ";", op: true})
		case strings.IndexByte(";|&()<>", c) >= 0:
			if c == '>' && inWord && cur.String() == "2" {
				cur.Reset()
				inWord = false
			}
			flush()
			op := string(c)
			if i+1 < len(s) && (s[i:i+2] == "||" || s[i:i+2] == "&&" || s[i:i+2] == ">>") {
				op, i = s[i:i+2], i+1
			}
			words = append(words, word{text: op, op: true})
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	return words, subs
}

// substitutions returns the $(...) bodies in a double-quoted string.
func substitutions(s string) []string {
	var out []string
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '$' && s[i+1] == '(' {
			end := matchParen(s, i+1)
			out = append(out, s[i+2:end])
			i = end
		}
	}
	return out
}

// matchParen returns the index of the ')' closing the '(' at open (len(s) if none).
func matchParen(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return i
			}
		}
	}
	return len(s)
}

// Check parses c's arguments with a fresh command tree from root, as the binary would:
// the subcommand must exist, every flag must be one it accepts with a value of the
// right type, an --output value must be a word of the flag's help, and the positional
// arguments must satisfy the command. Pending subcommands (not in this binary yet) are
// reported by the returned pending=true instead of an error.
func Check(root *cobra.Command, c Command, pending map[string]bool) (isPending bool, err error) {
	sub, rest, err := root.Find(c.Args)
	if (err != nil || sub == root) && len(c.Args) > 0 && pending[c.Args[0]] {
		return true, nil // not a subcommand yet: an error, or the root's own arguments
	}
	if err != nil {
		return false, fmt.Errorf("%s: %v", c, err)
	}
	if err := sub.ParseFlags(rest); err != nil {
		return false, fmt.Errorf("%s: %v", c, err)
	}
	if f := sub.Flags().Lookup("output"); f != nil && f.Changed {
		named := strings.FieldsFunc(f.Usage, func(r rune) bool { return !unicode.IsLetter(r) })
		if !slices.Contains(named, f.Value.String()) {
			return false, fmt.Errorf("%s: --output %q is not among %q", c, f.Value.String(), f.Usage)
		}
	}
	if err := sub.ValidateArgs(sub.Flags().Args()); err != nil {
		return false, fmt.Errorf("%s: arguments: %v", c, err)
	}
	return false, nil
}
