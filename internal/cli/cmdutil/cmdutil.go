// Package cmdutil holds what every huntsql command shares: the factory that
// gives a command its streams and archive, and the error types that the root
// command maps to exit codes.
package cmdutil

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"huntsql/internal/archive"
	"huntsql/internal/engine"
	"huntsql/internal/iostreams"
	"huntsql/loader/timestamp"
	"huntsql/rules"
)

// DefaultArchive is used when neither --archive nor $HUNTSQL_ARCHIVE is set.
const DefaultArchive = "huntsql-archive"

// Factory gives commands their dependencies, lazily.
type Factory struct {
	IO      *iostreams.IOStreams
	Version string
	Getenv  func(string) string

	// ArchiveFlag is the value of the global --archive flag.
	ArchiveFlag string
	// MemoryLimit is the value of the global --memory-limit flag.
	MemoryLimit string
}

// SpillDir is where DuckDB spills what does not fit its memory limit: inside
// the archive (same disk, same privacy), the one directory besides the events
// that sandboxed rules may touch. DuckDB creates it when it first spills and
// removes its files when the engine closes.
const SpillDir = "_spill"

// memoryLimit returns DuckDB's memory limit: --memory-limit, else
// $HUNTSQL_MEMORY_LIMIT, else DefaultMemoryLimit.
func (f *Factory) memoryLimit() string {
	if f.MemoryLimit != "" {
		return f.MemoryLimit
	}
	if v := f.Getenv("HUNTSQL_MEMORY_LIMIT"); v != "" {
		return v
	}
	return DefaultMemoryLimit()
}

var memoryLimitPattern = regexp.MustCompile(`(?i)^[0-9]+(\.[0-9]+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$`)

// ValidMemoryLimit reports whether s is a size DuckDB takes as a memory limit.
func ValidMemoryLimit(s string) bool { return memoryLimitPattern.MatchString(strings.TrimSpace(s)) }

// DefaultMemoryLimit is a quarter of the machine's memory, at most 1.5 GiB:
// a hunt shares the laptop with everything else, and DuckDB spills the rest
// to disk. (DuckDB's own default is 80% of memory.)
func DefaultMemoryLimit() string {
	const most = 1536 << 20
	limit := uint64(most)
	if total := totalMemory(); total > 0 {
		limit = min(limit, total/4)
	}
	return fmt.Sprintf("%dMiB", limit>>20)
}

// ArchiveDir resolves the archive directory: --archive, then $HUNTSQL_ARCHIVE,
// then ./huntsql-archive.
func (f *Factory) ArchiveDir() string {
	if f.ArchiveFlag != "" {
		return f.ArchiveFlag
	}
	if d := f.Getenv("HUNTSQL_ARCHIVE"); d != "" {
		return d
	}
	return DefaultArchive
}

// Archive opens the archive directory.
func (f *Factory) Archive() (*archive.Archive, error) {
	return archive.Open(f.ArchiveDir())
}

// Engine opens the embedded database.
func (f *Factory) Engine(ctx context.Context) (*engine.Engine, error) {
	return engine.Open(ctx, engine.Options{MemoryLimit: f.memoryLimit()})
}

// OpenViews opens the archive and an engine whose views show its committed
// events in the range: what run and query work on. With sandbox, the engine
// can then read nothing but the archive's events (rule SQL is code from
// others). Close the engine.
func (f *Factory) OpenViews(ctx context.Context, r engine.Range, sandbox bool) (*engine.Engine, error) {
	a, err := f.Archive()
	if err != nil {
		return nil, err
	}
	m, err := a.ReadManifest(false)
	if err != nil {
		return nil, err
	}
	spill := a.Path(SpillDir)
	eng, err := engine.Open(ctx, engine.Options{MemoryLimit: f.memoryLimit(), TempDir: spill})
	if err != nil {
		return nil, err
	}
	if err := eng.ArchiveViews(ctx, a, m, r); err != nil {
		eng.Close()
		return nil, err
	}
	if sandbox {
		if err := eng.Sandbox(ctx, []string{a.Path(archive.EventsDir), spill}); err != nil {
			eng.Close()
			return nil, err
		}
	}
	return eng, nil
}

// ParseRange reads the --from and --to flags (UTC unless an offset is given;
// --to is exclusive).
func ParseRange(from, to string) (engine.Range, error) {
	var r engine.Range
	for _, b := range []struct {
		flag, text string
		dst        *time.Time
	}{{"--from", from, &r.From}, {"--to", to, &r.To}} {
		if b.text == "" {
			continue
		}
		us, err := timestamp.Parse(b.text)
		if err != nil {
			return r, Usagef("%s %q: %v", b.flag, b.text, err)
		}
		*b.dst = time.UnixMicro(us).UTC()
	}
	if !r.From.IsZero() && !r.To.IsZero() && !r.From.Before(r.To) {
		return r, Usagef("--from %s is not before --to %s", from, to)
	}
	return r, nil
}

// PartialError reports a command that completed with rejects (exit code 3).
type PartialError struct{ Msg string }

func (e *PartialError) Error() string { return e.Msg }

// RulesFailedError reports that some rules failed while the others ran (exit
// code 4). Broken counts rule files that could not be read at all.
type RulesFailedError struct{ Failed, Total, Broken int }

func (e *RulesFailedError) Error() string {
	var parts []string
	if e.Failed > 0 || e.Broken == 0 {
		parts = append(parts, fmt.Sprintf("%d of %d rules failed", e.Failed, e.Total))
	}
	if e.Broken == 1 {
		parts = append(parts, "1 rule file could not be read")
	} else if e.Broken > 1 {
		parts = append(parts, fmt.Sprintf("%d rule files could not be read", e.Broken))
	}
	return strings.Join(parts, "; ")
}

// InterruptedError reports a command stopped by Ctrl-C or SIGTERM (exit code 1).
type InterruptedError struct{}

func (e *InterruptedError) Error() string {
	return "interrupted: the command stopped before its end; nothing was written or committed"
}

// DetectionsFoundError reports detections when the user asked to fail on them (exit code 5).
type DetectionsFoundError struct{ Count int }

func (e *DetectionsFoundError) Error() string { return fmt.Sprintf("%d detections", e.Count) }

// UsageError reports bad flags or arguments (exit code 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// Thousands writes n with thousands separators: 1234567 → "1,234,567".
func Thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// LoadRules loads the built-in rules and the --rules folders, announces
// overrides on stderr, reports rule files that cannot be used (file:line:
// reason) and selects the --rule ids (all when none). broken counts the files
// reported: the command runs the others, then exits with code 4.
func (f *Factory) LoadRules(dirs, ids []string) (selected []*rules.Rule, broken int, err error) {
	set, err := f.RuleSet(dirs)
	if err != nil {
		return nil, 0, err
	}
	selected, err = set.Select(ids)
	if err != nil {
		return nil, 0, Usagef("%v", err)
	}
	return selected, len(set.Broken), nil
}

// RuleSet loads the rules as LoadRules does, without selecting.
func (f *Factory) RuleSet(dirs []string) (*rules.Set, error) {
	set, err := rules.Load(dirs)
	if err != nil {
		return nil, err
	}
	for _, n := range set.Notes {
		fmt.Fprintln(f.IO.ErrOut, "note:", n)
	}
	for _, b := range set.Broken {
		for _, line := range strings.Split(b.Error(), "\n") {
			fmt.Fprintf(f.IO.ErrOut, "error: %s (rule file skipped)\n", line)
		}
	}
	return set, nil
}

// Examples trims the blank lines around a command's examples, keeping the
// indentation of the first one.
func Examples(s string) string {
	return strings.TrimRight(strings.TrimLeft(s, "\n"), " \n")
}
