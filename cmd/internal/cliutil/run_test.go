package cliutil

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestBinaryRun(t *testing.T) {
	b := Binary{Name: "tool", Unclassified: 7}
	cmdErr := func(err error) func() *cobra.Command {
		return func() *cobra.Command {
			return &cobra.Command{Use: "tool", SilenceErrors: true, SilenceUsage: true,
				RunE: func(cmd *cobra.Command, args []string) error {
					if len(args) != 1 || args[0] != "arg" {
						return Usagef("args %q", args)
					}
					cmd.Print("out")
					return err
				}}
		}
	}
	for _, tc := range []struct {
		name           string
		b              Binary
		newCmd         func() *cobra.Command
		code           int
		stdout, stderr string
	}{
		{"ok", b, cmdErr(nil), ExitOK, "out", ""},
		{"unclassified", b, cmdErr(errors.New("boom")), 7, "out", "tool: boom\n"},
		{"classified", b, cmdErr(&UnreachableError{Addr: "r", Err: errors.New("down")}), ExitUnreachable, "out", "tool: r unreachable: down\n"},
		{"own report", Binary{Name: "tool", Unclassified: 7, Report: func(w io.Writer, err error) { w.Write([]byte("[" + err.Error() + "]")) }},
			cmdErr(errors.New("boom")), 7, "out", "[boom]"},
		{"panic making the command", b, func() *cobra.Command { panic("no tree") }, 7, "", "tool: internal error: no tree\n"},
	} {
		var out, errb bytes.Buffer
		code := tc.b.Run(context.Background(), tc.newCmd, []string{"arg"}, &out, &errb)
		if code != tc.code || out.String() != tc.stdout || !strings.HasPrefix(errb.String(), tc.stderr) {
			t.Errorf("%s: Run() = %d, stdout %q, stderr %q; want %d, %q, %q...", tc.name, code, out.String(), errb.String(), tc.code, tc.stdout, tc.stderr)
		}
	}
}
