// Package ptytest opens pseudo-terminals for tests of terminal output (Linux only).
package ptytest

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/tonistiigi/vt100"
	"golang.org/x/sys/unix"
)

// Terminal is a pseudo-terminal of a fixed size: programs write to TTY, and Screen shows
// what a terminal would display after everything written so far.
type Terminal struct {
	TTY    *os.File // the terminal side, what a program gets as stderr
	master *os.File
	rows   int
	cols   int
	mu     sync.Mutex
	out    bytes.Buffer
	done   chan struct{}
}

// Open opens a rows×cols pseudo-terminal; it skips t where there is none. Call Close before
// Screen so that every byte written was read.
func Open(t testing.TB, rows, cols int) *Terminal {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		t.Skipf("unlocking pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		master.Close()
		t.Skipf("pseudo-terminal number: %v", err)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		t.Skipf("opening pseudo-terminal: %v", err)
	}
	if err := unix.IoctlSetWinsize(int(tty.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: uint16(rows), Col: uint16(cols)}); err != nil {
		t.Fatalf("setting terminal size: %v", err)
	}
	// Raw output: no "\n" to "\r\n" translation, as the emulator below expects what was written.
	tios, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatalf("terminal attributes: %v", err)
	}
	tios.Oflag &^= unix.OPOST
	if err := unix.IoctlSetTermios(int(tty.Fd()), unix.TCSETS, tios); err != nil {
		t.Fatalf("terminal attributes: %v", err)
	}
	term := &Terminal{TTY: tty, master: master, rows: rows, cols: cols, done: make(chan struct{})}
	go func() {
		defer close(term.done)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			term.mu.Lock()
			term.out.Write(buf[:n])
			term.mu.Unlock()
			if err != nil { // EIO once the terminal side is closed
				return
			}
		}
	}()
	t.Cleanup(func() { term.Close(); master.Close() })
	return term
}

// Close closes the terminal side and waits until all its output was read.
func (t *Terminal) Close() {
	t.TTY.Close()
	<-t.done
}

// Raw returns every byte written to the terminal.
func (t *Terminal) Raw() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return bytes.Clone(t.out.Bytes())
}

// Screen returns the lines a terminal of this size shows after the output, trailing
// blanks trimmed. Text that was painted over is not in it; make the terminal tall enough
// for the whole output, as lines scrolled off the top are lost.
func (t *Terminal) Screen() []string {
	// One column more than the terminal: a real terminal defers the wrap after its last
	// column until the next character, the emulator wraps at once, and a full-width line
	// followed by a line feed would take two rows.
	v := vt100.NewVT100(t.rows, t.cols+1)
	_, _ = v.Write(t.Raw()) // the emulator skips what it does not understand
	var lines []string
	for _, row := range v.Content {
		lines = append(lines, strings.TrimRight(string(row), " \x00"))
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}
