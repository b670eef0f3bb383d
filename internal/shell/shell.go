// Package shell is an interactive SQL session over the archive: statements
// that may span lines, dot commands in the manner of the duckdb CLI, and the
// timing of each query. It reads lines; the command decides where they come
// from (a line editor on a terminal, plain standard input otherwise).
package shell

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"huntsql/internal/engine"
	"huntsql/internal/results"
)

// Session is one shell session on an engine whose archive views exist.
type Session struct {
	Eng    *engine.Engine
	Out    io.Writer // results
	ErrOut io.Writer // messages and timings
	// LineWidth fits tables to a terminal this wide (0: no limit).
	LineWidth int
	// Bail ends the session at the first failed statement (for scripts, as
	// the duckdb and sqlite3 shells do with -bail): Line then reports quit,
	// and Err says what failed.
	Bail bool

	err    error // the first failure, for Err
	line   int   // lines read
	stmtAt int   // the line where the pending statement began

	mode    string
	timer   bool
	pending strings.Builder
	file    *os.File // set by .output FILE
}

// New starts a session printing tables, with timing on.
func New(eng *engine.Engine, out, errOut io.Writer) *Session {
	return &Session{Eng: eng, Out: out, ErrOut: errOut, mode: results.Table, timer: true}
}

// Pending reports whether a statement has begun but not ended (for the
// continuation prompt).
func (s *Session) Pending() bool { return s.pending.Len() > 0 }

// Close closes an .output file.
func (s *Session) Close() error {
	if s.file != nil {
		return s.file.Close()
	}
	return nil
}

// Err returns the first statement or command that failed, with its line.
func (s *Session) Err() error { return s.err }

// fail reports an error on ErrOut and remembers the first one.
func (s *Session) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(s.ErrOut, "Error: %s\n", msg)
	if s.err == nil {
		s.err = fmt.Errorf("line %d: %s", s.stmtAt, strings.TrimSpace(msg))
	}
}

// Line handles one input line and reports whether the session should end.
func (s *Session) Line(ctx context.Context, line string) (quit bool) {
	s.line++
	if !s.Pending() {
		s.stmtAt = s.line
	}
	quit = s.handle(ctx, line)
	return quit || s.Bail && s.err != nil
}

func (s *Session) handle(ctx context.Context, line string) (quit bool) {
	trimmed := strings.TrimSpace(line)
	if !s.Pending() && strings.HasPrefix(trimmed, ".") {
		return s.dot(ctx, strings.Fields(trimmed))
	}
	if trimmed == "" && !s.Pending() {
		return false
	}
	s.pending.WriteString(line)
	s.pending.WriteByte('\n')
	if strings.HasSuffix(trimmed, ";") {
		stmt := strings.TrimSpace(s.pending.String())
		s.pending.Reset()
		s.exec(ctx, strings.TrimSuffix(stmt, ";"))
	}
	return false
}

// End runs a statement left without its semicolon at the end of input.
func (s *Session) End(ctx context.Context) {
	if stmt := strings.TrimSpace(s.pending.String()); stmt != "" {
		s.pending.Reset()
		s.exec(ctx, stmt)
	}
}

func (s *Session) out() io.Writer {
	if s.file != nil {
		return s.file
	}
	return s.Out
}

func (s *Session) exec(ctx context.Context, stmt string) {
	start := time.Now()
	rows, err := s.Eng.Query(ctx, stmt)
	if err != nil {
		s.fail("%v", err)
		return
	}
	set, err := results.Read(rows)
	rows.Close()
	if err != nil {
		s.fail("%v", err)
		return
	}
	width := 0
	if s.mode == results.Table {
		width = 48
		if s.file == nil {
			set.LineWidth = s.LineWidth
		}
	}
	if err := set.Write(s.out(), s.mode, width); err != nil {
		s.fail("%v", err)
	}
	if s.timer {
		fmt.Fprintf(s.ErrOut, "Run Time: %.3fs\n", time.Since(start).Seconds())
	}
}

const help = `.tables            list the views (events, process_events, cim_process, …)
.schema VIEW       the columns of a view and their types
.mode FORMAT       table, csv, json, ndjson or markdown
.output [FILE]     write results to FILE; without FILE, back to the screen
.timer on|off      show each query's run time (on by default)
.help              this text
.quit, .exit       leave (so does Ctrl-D)
Statements end with ";" and may span lines.`

func (s *Session) dot(ctx context.Context, f []string) (quit bool) {
	arg := func() string {
		if len(f) > 1 {
			return f[1]
		}
		return ""
	}
	switch f[0] {
	case ".quit", ".exit":
		return true
	case ".help":
		fmt.Fprintln(s.ErrOut, help)
	case ".tables":
		s.exec(ctx, `SELECT view_name AS name FROM duckdb_views() WHERE NOT internal
			UNION ALL SELECT table_name FROM duckdb_tables() ORDER BY name`)
	case ".schema":
		if arg() == "" {
			s.fail(".schema needs a view name, e.g. .schema events")
			return false
		}
		s.exec(ctx, "SELECT column_name, column_type FROM (DESCRIBE "+engine.QuoteIdent(arg())+")")
	case ".mode":
		if !slices.Contains(results.Formats, arg()) {
			s.fail(".mode takes one of %s", strings.Join(results.Formats, ", "))
			return false
		}
		s.mode = arg()
	case ".output":
		if s.file != nil {
			s.file.Close()
			s.file = nil
		}
		if arg() != "" {
			file, err := os.OpenFile(arg(), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
			if err != nil {
				s.fail("%v", err)
				return false
			}
			s.file = file
		}
	case ".timer":
		switch arg() {
		case "on":
			s.timer = true
		case "off":
			s.timer = false
		default:
			s.fail(".timer on|off")
		}
	default:
		s.fail("unknown command %s (.help lists them)", f[0])
	}
	return false
}
