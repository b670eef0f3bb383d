// Package iostreams carries a command's standard streams and what it knows
// about them: results go to Out, progress and logs to ErrOut, progress only when
// ErrOut is a terminal.
package iostreams

import (
	"bytes"
	"io"
	"os"

	"github.com/mattn/go-isatty"
	"golang.org/x/term"
)

// IOStreams are the streams of one command invocation.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stderrTTY bool
	stdoutTTY bool
	stdinTTY  bool
}

// System returns the process's streams.
func System() *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		stdoutTTY: isatty.IsTerminal(os.Stdout.Fd()),
		stdinTTY:  isatty.IsTerminal(os.Stdin.Fd()),
		stderrTTY: isatty.IsTerminal(os.Stderr.Fd()),
	}
}

// Test returns streams backed by buffers, for tests.
func Test(stdin string) (*IOStreams, *bytes.Buffer, *bytes.Buffer) {
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: bytes.NewBufferString(stdin), Out: out, ErrOut: errOut}, out, errOut
}

// ShowProgress reports whether progress should be drawn on ErrOut.
func (s *IOStreams) ShowProgress() bool { return s.stderrTTY && os.Getenv("TERM") != "dumb" }

// TerminalWidth is the width of the terminal results go to, or 0 when they
// do not go to a terminal.
func (s *IOStreams) TerminalWidth() int {
	if !s.stdoutTTY {
		return 0
	}
	if f, ok := s.Out.(*os.File); ok {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	return 80
}

// SetTTY makes tests see stdout and stderr as terminals (or not).
func (s *IOStreams) SetTTY(stdout, stderr bool) { s.stdoutTTY, s.stderrTTY = stdout, stderr }

// IsStdinTTY reports whether standard input is a terminal (so holds no data).
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether results go to a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }
