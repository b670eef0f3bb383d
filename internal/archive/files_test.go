package archive

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestFilesWrite: files written by several writers are whole under their
// final names once Sync returns, and no temporary file is left.
func TestFilesWrite(t *testing.T) {
	dir := t.TempDir()
	var out Files
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := range 3 * filesSyncing {
				p := filepath.Join(dir, fmt.Sprintf("date=%d", i%5), fmt.Sprintf("part-%d-%d", w, i))
				if err := out.Write(p, func(f *os.File) error {
					_, err := fmt.Fprintf(f, "file %d %d", w, i)
					return err
				}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if err := out.Sync(); err != nil {
		t.Fatal(err)
	}
	n := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		var w, i int
		if _, err := fmt.Sscanf(filepath.Base(p), "part-%d-%d", &w, &i); err != nil {
			t.Errorf("unexpected file %s", p)
			return nil
		}
		if b, _ := os.ReadFile(p); string(b) != fmt.Sprintf("file %d %d", w, i) {
			t.Errorf("%s holds %q", p, b)
		}
		if st, _ := os.Stat(p); st.Mode().Perm() != FilePerm {
			t.Errorf("%s: mode %v, want %v", p, st.Mode().Perm(), FilePerm)
		}
		return nil
	})
	if n != 2*3*filesSyncing {
		t.Errorf("%d files, want %d", n, 2*3*filesSyncing)
	}
}

// TestFilesWriteErrors: a file that cannot be written is the Write's error;
// one that cannot be renamed into place is Wait's and Sync's, and leaves no
// temporary file.
func TestFilesWriteErrors(t *testing.T) {
	dir := t.TempDir()
	var out Files
	if err := out.Write(filepath.Join(dir, "a"), func(*os.File) error { return fmt.Errorf("encoder failed") }); err == nil || !strings.Contains(err.Error(), "encoder failed") {
		t.Errorf("Write = %v, want the writer's error", err)
	}
	taken := filepath.Join(dir, "taken")
	if err := os.MkdirAll(filepath.Join(taken, "x"), DirPerm); err != nil {
		t.Fatal(err)
	}
	if err := out.Write(taken, func(f *os.File) error { _, err := f.WriteString("data"); return err }); err != nil {
		t.Fatalf("Write = %v; the rename fails later", err)
	}
	if err := out.Wait(); err == nil || !strings.Contains(err.Error(), "taken") {
		t.Errorf("Wait = %v, want the failed rename of %s", err, taken)
	}
	if err := out.Sync(); err == nil {
		t.Error("Sync = nil after a failed rename")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(m) > 0 {
		t.Errorf("temporary files left: %v", m)
	}
	// The writers learn of it: the next Write fails, and writes nothing.
	if err := out.Write(filepath.Join(dir, "b"), func(*os.File) error { return nil }); err == nil || !strings.Contains(err.Error(), "taken") {
		t.Errorf("Write after a failed rename = %v, want that failure", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "b")); err == nil {
		t.Error("a file was written after a failed rename")
	}
	// Several failures at once: the first, and a count.
	many := Files{err: errors.New("rename x: no such file"), failed: 3}
	if err := many.Wait(); err == nil || err.Error() != "rename x: no such file (and 2 more files)" {
		t.Errorf("Wait after 3 failures = %v, want the first and a count", err)
	}
}

// TestFilesSyncsNewParents: Sync makes durable the entries of the
// directories Write created, and of the files' directories.
func TestFilesSyncsNewParents(t *testing.T) {
	root := t.TempDir()
	var out Files
	p := filepath.Join(root, "events", "date=2026-01-01", "part-1")
	if err := out.Write(p, func(f *os.File) error { return nil }); err != nil {
		t.Fatal(err)
	}
	out.mu.Lock()
	for _, d := range []string{root, filepath.Join(root, "events"), filepath.Join(root, "events", "date=2026-01-01")} {
		if !out.dirs[d] {
			t.Errorf("%s is not synced before the commit", d)
		}
	}
	out.mu.Unlock()
	if err := out.Sync(); err != nil {
		t.Fatal(err)
	}
}
