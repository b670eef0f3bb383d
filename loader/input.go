package loader

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"huntsql/loader/format"
)

// input is one file to load.
type input struct {
	path    string // as shown to the user
	abs     string // absolute path, recorded in provenance ('-' for stdin)
	open    string // path to open (the spool file for stdin)
	size    int64
	sha256  string
	format  *format.Format
	openErr error // could not be read at all

	// An input whose size no other input (loaded or loading) has cannot be a
	// duplicate, so its hash is computed while it loads instead of before:
	// hashed is closed once sha256 (or hashErr) is set.
	hashed  chan struct{}
	hashErr error
}

// expand turns the command-line inputs into files: directories are walked
// recursively in name order; "-" is stdin, spooled to spoolDir.
func expand(args []string, stdin io.Reader, spoolDir string) ([]*input, error) {
	var out []*input
	for _, arg := range args {
		if arg == "-" {
			in, err := spoolStdin(stdin, spoolDir)
			if err != nil {
				return out, err
			}
			out = append(out, in)
			continue
		}
		st, err := os.Stat(arg)
		if err != nil {
			out = append(out, &input{path: arg, abs: absPath(arg), openErr: describeOpenErr(err)})
			continue
		}
		if !st.IsDir() {
			out = append(out, &input{path: arg, abs: absPath(arg), open: arg, size: st.Size()})
			continue
		}
		var files []*input
		err = filepath.WalkDir(arg, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				files = append(files, &input{path: p, abs: absPath(p), openErr: describeOpenErr(err)})
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				info, err := d.Info()
				if err != nil {
					files = append(files, &input{path: p, abs: absPath(p), openErr: describeOpenErr(err)})
					return nil
				}
				files = append(files, &input{path: p, abs: absPath(p), open: p, size: info.Size()})
			}
			return nil
		})
		if err != nil {
			return out, err
		}
		sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
		out = append(out, files...)
	}
	return out, nil
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func describeOpenErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("no such file or directory")
	case errors.Is(err, fs.ErrPermission):
		return errors.New("permission denied")
	}
	return err
}

func spoolStdin(stdin io.Reader, dir string) (*input, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, "stdin-*.spool")
	if err != nil {
		return nil, fmt.Errorf("spool stdin: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), stdin)
	if err != nil {
		return nil, fmt.Errorf("read stdin: %w", err)
	}
	return &input{path: "-", abs: "-", open: f.Name(), size: n, sha256: hex.EncodeToString(h.Sum(nil))}, nil
}

// hashBuffer is the size of hashFile's reads.
const hashBuffer = 1 << 20

// hashFile computes the SHA-256 of a file, counting bytes into progress. buf
// is where it reads (a new buffer per file was 184 MiB of garbage on the
// EVTX benchmark's 184 files).
func hashFile(ctx context.Context, path string, progress *atomic.Int64, buf []byte) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", describeOpenErr(err)
	}
	defer f.Close()
	h := sha256.New()
	for ctx.Err() == nil {
		n, err := f.Read(buf)
		h.Write(buf[:n])
		if progress != nil {
			progress.Add(int64(n))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("read: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// countingReader counts bytes read into a progress counter.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// maxZstdWindow bounds the memory a zstd frame may ask for.
const maxZstdWindow = 128 << 20

// decompress detects gzip and zstd by their magic numbers and returns the
// decompressed stream; other input passes through. close releases decoders.
func decompress(r io.Reader) (out io.Reader, kind string, close func(), err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, "gzip", nil, fmt.Errorf("bad gzip header: %w", err)
		}
		return zr, "gzip", func() { zr.Close() }, nil
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxZstdWindow))
		if err != nil {
			return nil, "zstd", nil, fmt.Errorf("bad zstd stream: %w", err)
		}
		return zr, "zstd", zr.Close, nil
	}
	return br, "", func() {}, nil
}

// utf8Text returns the stream as UTF-8: UTF-16 (little or big endian, with a
// byte order mark, or without one when the text starts with '<', '{' or '[')
// is transcoded; anything else passes through.
func utf8Text(br *bufio.Reader) io.Reader {
	head, _ := br.Peek(2)
	var enc encoding.Encoding
	switch {
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}):
		enc = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
	case bytes.HasPrefix(head, []byte{0xfe, 0xff}):
		enc = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)
	case len(head) == 2 && head[1] == 0 && bytes.IndexByte([]byte("<{["), head[0]) >= 0:
		enc = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	case len(head) == 2 && head[0] == 0 && bytes.IndexByte([]byte("<{["), head[1]) >= 0:
		enc = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	default:
		return br
	}
	return transform.NewReader(br, enc.NewDecoder())
}
