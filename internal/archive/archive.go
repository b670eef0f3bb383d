// Package archive owns the on-disk layout of a huntsql archive and its manifest.
//
// Layout:
//
//	ARCHIVE/
//	  manifest.json                          the commit log: which files and inputs are in
//	  events/date=YYYY-MM-DD/part-*.parquet  immutable Parquet files, Hive-partitioned by UTC date
//	  _rejects/LOAD_ID.ndjson                rejected records, verbatim, with their reasons
//	  .lock                                  held by the one writer
//
// The manifest is the source of truth: a Parquet file is part of the archive only
// once a manifest commit names it. Commits replace manifest.json atomically
// (temp file, fsync, rename, fsync of the directory), so a writer killed at any
// moment leaves the previous manifest in force; files it wrote but never committed
// are invisible to readers and are deleted by the next writer.
package archive

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	ManifestName  = "manifest.json"
	EventsDir     = "events"
	RejectsDir    = "_rejects"
	DetectionsDir = "detections"
	lockName      = ".lock"

	// DirPerm and FilePerm: logs are sensitive, so the archive is private to its owner.
	DirPerm  fs.FileMode = 0o700
	FilePerm fs.FileMode = 0o600

	formatVersion = 1
)

// Manifest is the archive's committed state.
type Manifest struct {
	Version int     `json:"version"`
	Files   []File  `json:"files"`
	Inputs  []Input `json:"inputs"`
	Loads   []Load  `json:"loads"`
	Runs    []Run   `json:"runs,omitempty"`
}

// Run is one saved `huntsql run --save`: its detections in one Parquet file.
type Run struct {
	ID         string    `json:"id"`
	At         time.Time `json:"at"`
	File       string    `json:"file"` // relative to the archive root
	Rules      []string  `json:"rules"`
	Detections int       `json:"detections"`
	From       time.Time `json:"from,omitzero"`
	To         time.Time `json:"to,omitzero"`
}

// File is one committed Parquet file.
type File struct {
	Path   string    `json:"path"` // relative to the archive root, slash-separated
	Date   string    `json:"date"` // partition, YYYY-MM-DD
	Rows   int64     `json:"rows"`
	MinTS  time.Time `json:"min_ts"`
	MaxTS  time.Time `json:"max_ts"`
	LoadID string    `json:"load_id"`
	// Inputs lists the SHA-256 of every input with rows in this file, so that a
	// forced reload can find and rewrite exactly the files it supersedes.
	Inputs []string `json:"inputs"`
}

// Input is one loaded input, identified by the SHA-256 of its bytes.
type Input struct {
	SHA256   string `json:"sha256"`
	Path     string `json:"path"`
	Size     int64  `json:"size"`
	LoadID   string `json:"load_id"`
	Format   string `json:"format"`
	Records  int64  `json:"records"`
	Archived int64  `json:"archived"`
	Rejected int64  `json:"rejected"`
	// Unmapped counts archived events that huntsql could not map: they lack
	// host.name, or event.code, event.category and event.action all at once,
	// so rules that select events by kind or host cannot see them.
	Unmapped int64 `json:"unmapped,omitempty"`
	// Duplicates counts events not archived because the archive already held
	// the same event (see docs/archive.md, "Duplicate events").
	Duplicates int64 `json:"duplicates,omitempty"`
	// Error is set when the input could not be read to its end (for example a
	// truncated gzip stream): the records before the error are archived.
	Error string `json:"error,omitempty"`
}

// Load is one completed `huntsql load`.
type Load struct {
	ID       string    `json:"id"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Version  string    `json:"huntsql_version"`
	Events   int64     `json:"events"`
	Rejected int64     `json:"rejected"`
	Rejects  string    `json:"rejects,omitempty"` // relative path of the rejects file
}

// Archive is an archive directory.
type Archive struct {
	Root string // absolute
}

// Open returns the archive at dir (which need not exist yet).
func Open(dir string) (*Archive, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("archive path %q: %w", dir, err)
	}
	return &Archive{Root: abs}, nil
}

// Path returns the absolute path of a slash-separated archive-relative path.
func (a *Archive) Path(rel string) string {
	return filepath.Join(a.Root, filepath.FromSlash(rel))
}

// Exists reports whether the archive has a committed manifest.
func (a *Archive) Exists() bool {
	_, err := os.Stat(a.Path(ManifestName))
	return err == nil
}

// ErrNoArchive is returned when reading an archive that has never been loaded.
var ErrNoArchive = errors.New("no huntsql archive here")

// ReadManifest reads the committed manifest. A missing manifest is an empty archive
// when allowMissing is set, ErrNoArchive otherwise.
func (a *Archive) ReadManifest(allowMissing bool) (*Manifest, error) {
	b, err := os.ReadFile(a.Path(ManifestName))
	if errors.Is(err, fs.ErrNotExist) {
		if allowMissing {
			return &Manifest{Version: formatVersion}, nil
		}
		return nil, fmt.Errorf("%w: %s has no %s (run `huntsql load` first, or point --archive at an archive)", ErrNoArchive, a.Root, ManifestName)
	}
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest %s is damaged: %w", a.Path(ManifestName), err)
	}
	if m.Version != formatVersion {
		return nil, fmt.Errorf("manifest %s has format version %d; this huntsql reads version %d", a.Path(ManifestName), m.Version, formatVersion)
	}
	return &m, nil
}

// InputBySHA returns the committed input with that hash, if any.
func (m *Manifest) InputBySHA(sha string) (Input, bool) {
	for _, in := range m.Inputs {
		if in.SHA256 == sha {
			return in, true
		}
	}
	return Input{}, false
}

// Commit atomically replaces the manifest with m.
func (a *Archive) Commit(m *Manifest) error {
	m.Version = formatVersion
	slices.SortFunc(m.Files, func(x, y File) int { return strings.Compare(x.Path, y.Path) })
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(a.Path(ManifestName), append(b, '\n'))
}

// WriteFileAtomic writes data to path atomically (see WriteAtomic).
func WriteFileAtomic(path string, data []byte) error {
	return WriteAtomic(path, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// WriteAtomic writes path through a temporary file in the same directory:
// write fills it (by the handle, or by its name, as DuckDB's COPY does), then
// it is made private and durable, renamed into place and the directory synced.
// Readers see the old file or the whole new one, never a part.
func WriteAtomic(path string, write func(f *os.File) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, DirPerm); err != nil {
		return err
	}
	f, err := writeTemp(path, write)
	if err != nil {
		return err
	}
	if err := finish(f, path, true); err != nil {
		return err
	}
	return SyncDir(dir)
}

// writeTemp creates the temporary file that becomes path (mode FilePerm, in
// its directory) and has write fill it; on failure it removes it.
func writeTemp(path string, write func(f *os.File) error) (*os.File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, err
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return f, nil
}

// finish makes the written temporary file f durable, through its handle or
// by its name after it is closed (byName: the writer may have replaced it by
// name, as DuckDB's COPY does), closes it and renames it to path; on failure
// it removes it.
func finish(f *os.File, path string, byName bool) error {
	tmp := f.Name()
	var err error
	if !byName {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && byName {
		err = SyncFile(tmp)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Files writes the many files of one load. Each ends as WriteAtomic leaves
// one (written under a temporary name, made durable, then renamed: whole or
// absent under its final name), but write must fill it through the handle
// (not by name), and the waits are taken off the writer:
//   - each directory is created once, and synced once, by Sync, before the
//     commit that names the files, with the parent of each directory created;
//   - a file is made durable and renamed in the background, several at a
//     time, while the writer goes on to the next one; Wait and Sync wait for
//     them, and once one has failed, Write fails too, so that the load stops.
//
// A load of sparse logs writes hundreds or thousands of files, and an fsync
// each on the writers' way left a core idle (1.1 M EVTX records in 4,224
// files: 9.4 s against 8.8 s; docs/benchmarks.md).
type Files struct {
	mu      sync.Mutex
	dirs    map[string]bool // created or written to, not yet synced
	err     error           // the first background failure
	failed  int             // background failures
	pending sync.WaitGroup
	slots   chan struct{} // files being made durable at once
}

// filesSyncing is how many files are made durable at once: the file system
// commits concurrent fsyncs together, and each holds an open file.
const filesSyncing = 16

// Mkdir creates dir and its missing parents; Sync makes their entries durable.
func (s *Files) Mkdir(dir string) error {
	s.mu.Lock()
	known := s.dirs[dir]
	s.mu.Unlock()
	if known {
		return nil
	}
	// The directories whose entries change: dir's (its files), and the
	// parent of each directory created.
	changed := []string{dir}
	for d := dir; ; {
		if _, err := os.Stat(d); err == nil {
			break
		}
		up := filepath.Dir(d)
		if up == d {
			break
		}
		changed = append(changed, up)
		d = up
	}
	if err := os.MkdirAll(dir, DirPerm); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dirs == nil {
		s.dirs = map[string]bool{}
	}
	for _, d := range changed {
		s.dirs[d] = true
	}
	return nil
}

// Write writes path; see Files. An error making it durable or renaming it is
// returned by Wait or Sync, and by the Writes after it.
func (s *Files) Write(path string, write func(f *os.File) error) error {
	if err := s.Mkdir(filepath.Dir(path)); err != nil {
		return err
	}
	s.mu.Lock()
	err := s.err
	if s.slots == nil {
		s.slots = make(chan struct{}, filesSyncing)
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	f, err := writeTemp(path, write)
	if err != nil {
		return err
	}
	s.slots <- struct{}{}
	s.pending.Go(func() {
		defer func() { <-s.slots }()
		if err := finish(f, path, false); err != nil {
			s.mu.Lock()
			if s.err == nil {
				s.err = err
			}
			s.failed++
			s.mu.Unlock()
		}
	})
	return nil
}

// Wait waits for the files written so far to be durable under their final
// names, and returns the first error doing so (with how many others failed).
func (s *Files) Wait() error {
	s.pending.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed > 1 {
		return fmt.Errorf("%w (and %d more files)", s.err, s.failed-1)
	}
	return s.err
}

// Sync makes the files written so far, and their renames, durable.
func (s *Files) Sync() error {
	if err := s.Wait(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dirs := make([]string, 0, len(s.dirs))
	for d := range s.dirs {
		dirs = append(dirs, d)
	}
	slices.Sort(dirs)
	// Several at once: a load's last step otherwise waits on one directory
	// fsync after the other (hundreds for logs that span months), and the
	// file system can commit concurrent ones together.
	errs := make([]error, len(dirs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(len(dirs), 8) {
		wg.Go(func() {
			for i := range next {
				errs[i] = SyncDir(dirs[i])
			}
		})
	}
	for i := range dirs {
		next <- i
	}
	close(next)
	wg.Wait()
	clear(s.dirs)
	return errors.Join(errs...)
}

// SyncFile makes a file private (FilePerm) and durable. It works by name, so
// a file that another writer replaced under that name is the one synced.
func SyncFile(p string) error {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Chmod(FilePerm); err != nil {
		return err
	}
	return f.Sync()
}

// SyncDir fsyncs a directory so that renames inside it are durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}

// Lock is the exclusive writer lock of an archive.
type Lock struct{ f *os.File }

// ErrLocked is returned when another process holds the writer lock.
var ErrLocked = errors.New("archive is locked by another huntsql load")

// LockWriter takes the writer lock without waiting.
func (a *Archive) LockWriter() (*Lock, error) {
	if err := os.MkdirAll(a.Root, DirPerm); err != nil {
		return nil, fmt.Errorf("create archive %s: %w", a.Root, err)
	}
	f, err := os.OpenFile(a.Path(lockName), os.O_CREATE|os.O_RDWR, FilePerm)
	if err != nil {
		if errors.Is(err, syscall.EROFS) || errors.Is(err, fs.ErrPermission) {
			return nil, fmt.Errorf("cannot write to the archive %s: %w (it can still be queried and hunted; load into a writable copy)", a.Root, errors.Unwrap(err))
		}
		return nil, fmt.Errorf("open lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s): wait for it to finish and retry", ErrLocked, a.Root)
		}
		return nil, fmt.Errorf("lock %s: %w", a.Root, err)
	}
	return &Lock{f: f}, nil
}

// Unlock releases the writer lock.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing releases the flock
	l.f = nil
	return err
}

// RemoveUncommitted deletes Parquet and rejects files that no committed manifest
// names: leftovers of a load that was killed. Call it holding the writer lock.
func (a *Archive) RemoveUncommitted(m *Manifest) (removed int, err error) {
	keep := make(map[string]bool, len(m.Files)+len(m.Loads))
	for _, f := range m.Files {
		keep[f.Path] = true
	}
	for _, l := range m.Loads {
		if l.Rejects != "" {
			keep[l.Rejects] = true
		}
	}
	for _, r := range m.Runs {
		keep[r.File] = true
	}
	for _, sub := range []string{EventsDir, RejectsDir, DetectionsDir} {
		root := a.Path(sub)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if d.IsDir() {
				return nil
			}
			rel, _ := filepath.Rel(a.Root, p)
			if !keep[filepath.ToSlash(rel)] {
				if err := os.Remove(p); err != nil {
					return err
				}
				removed++
			}
			return nil
		})
		if err != nil {
			return removed, fmt.Errorf("clean uncommitted files: %w", err)
		}
	}
	return removed, nil
}

// PartitionDir is the Hive partition directory of a UTC date.
func PartitionDir(date string) string {
	return EventsDir + "/date=" + date
}
