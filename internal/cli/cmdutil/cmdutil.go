// Package cmdutil holds what every huntsql command shares: the factory that
// gives a command its streams and archive, and the error types that the root
// command maps to exit codes.
package cmdutil

import (
	"context"
	"fmt"

	"huntsql/internal/archive"
	"huntsql/internal/engine"
	"huntsql/internal/iostreams"
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
	return engine.Open(ctx, engine.Options{
		MemoryLimit: f.Getenv("HUNTSQL_MEMORY_LIMIT"),
	})
}

// PartialError reports a command that completed with rejects (exit code 3).
type PartialError struct{ Msg string }

func (e *PartialError) Error() string { return e.Msg }

// UsageError reports bad flags or arguments (exit code 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}
