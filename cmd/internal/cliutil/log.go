package cliutil

import (
	"io"
	"log/slog"
)

// NewLogger returns the CLI's logger: text on w (stderr), debug level when verbose.
// stdout is never used for logs; it carries results only.
func NewLogger(w io.Writer, verbose bool) *slog.Logger {
	lvl := slog.LevelInfo
	if verbose {
		lvl = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl}))
}
