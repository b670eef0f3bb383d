// Package enginetest opens engines for other packages' tests.
package enginetest

import (
	"context"
	"testing"

	"huntsql/internal/engine"
)

// Open opens an engine with the views of an empty archive (events and the
// others, with no rows); it closes when the test ends.
func Open(t testing.TB, opts engine.Options) *engine.Engine {
	t.Helper()
	ctx := context.Background()
	eng, err := engine.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := eng.Close(); err != nil {
			t.Error(err)
		}
	})
	if err := eng.ArchiveViews(ctx, nil, nil, engine.Range{}); err != nil {
		t.Fatal(err)
	}
	return eng
}
