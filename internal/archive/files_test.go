package archive

import (
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
}
