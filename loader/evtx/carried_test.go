package evtx

// Caches carried from chunk to chunk (templates by their bytes, templates
// relocated, interned names) must give exactly what a fresh decoder gives:
// crafted chunks that once broke them (a reviewer's reproducers), and every
// chunk of the samples decoded after its file's earlier chunks, mutated or
// not, against a fresh Normalizer.

import (
	"encoding/binary"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"huntsql/loader/format"
	"huntsql/loader/winevent"
)

// sharedSamples is the development workspace's sample collection, used when
// present.
const sharedSamples = "../../../shared/evtx"

// craftedChunk builds a 64 KiB chunk holding one record at recAt whose binary XML
// is an inline template definition with body tb(bodyStart) (the template
// header is written here) and no values.
func craftedChunk(recAt int, guid byte, tb func(start int) []byte) []byte {
	d := make([]byte, chunkSize)
	copy(d, chunkMagic)
	p := recAt
	copy(d[p:], recordMagic)
	p += 24
	x := d[:p]
	x = append(x, 0x0f, 1, 1, 0)
	tiStart := len(x)
	defOff := tiStart + 10
	x = append(x, 0x0c, 1, 0, 0, 0, 0)
	x = binary.LittleEndian.AppendUint32(x, uint32(defOff))
	x = binary.LittleEndian.AppendUint32(x, 0) // next def
	g := make([]byte, 16)
	g[0] = guid
	x = append(x, g...)
	bodyStart := len(x) + 4
	body := tb(bodyStart)
	x = binary.LittleEndian.AppendUint32(x, uint32(len(body)))
	x = append(x, body...)
	x = binary.LittleEndian.AppendUint32(x, 0) // no values
	x = append(x, 0)                           // EOF
	size := len(x) + 4 - recAt
	x = binary.LittleEndian.AppendUint32(x, uint32(size))
	binary.LittleEndian.PutUint32(d[recAt+4:], uint32(size))
	binary.LittleEndian.PutUint64(d[recAt+8:], 1)
	binary.LittleEndian.PutUint32(d[48:], uint32(len(x)))
	return d
}

func decodeAll(n *Normalizer, d []byte, off int64) []string {
	var out []string
	n.Decode(d, off, func(ev *winevent.Event, xml string, rec Record, _ []byte) {
		out = append(out, strings.Clone(xml[:min(len(xml), 100)]))
	}, func(r format.Reject) { out = append(out, "REJECT: "+r.Reason) })
	return out
}

func u16le(s string) []byte {
	var b []byte
	for _, r := range s {
		b = binary.LittleEndian.AppendUint16(b, uint16(r))
	}
	return b
}

// maskedNameBody: an attribute's name is defined (by reference) inside the
// template at an offset whose count and characters lie in the masked
// header (next offset, hash) of the element's in-place name.
func maskedNameBody(next [4]byte, hash [2]byte) func(int) []byte {
	return func(start int) []byte {
		b := []byte{0x0f, 1, 1, 0}
		b = append(b, 0x41, 0, 0) // element, dependency id
		b = append(b, 0, 0, 0, 0) // element size
		F := start + len(b)       // name reference field
		b = binary.LittleEndian.AppendUint32(b, uint32(F+4))
		b = append(b, next[:]...)
		b = append(b, hash[:]...)
		b = binary.LittleEndian.AppendUint16(b, 5)
		b = append(b, u16le("Event")...)
		b = append(b, 0, 0)
		b = append(b, 0, 0, 0, 0) // attribute list size
		b = append(b, 0x06)
		b = binary.LittleEndian.AppendUint32(b, uint32(F-2)) // count at F+4, chars F+6..F+10
		b = append(b, 0x05, 0x01, 1, 0, 'x', 0)
		b = append(b, 0x03, 0x00)
		return b
	}
}

// sameAfter checks that chunk b, the file's second chunk, decodes after chunk
// a as it does alone.
func sameAfter(t *testing.T, a, b []byte) {
	t.Helper()
	fresh := decodeAll(NewNormalizer(), b, fileHeaderSize+chunkSize)
	n := NewNormalizer()
	first := decodeAll(n, a, fileHeaderSize)
	reused := decodeAll(n, b, fileHeaderSize+chunkSize)
	if strings.Join(fresh, "\n") != strings.Join(reused, "\n") {
		t.Errorf("chunk B decodes differently after chunk A (%q):\n alone   %q\n after A %q", first, fresh, reused)
	}
}

func TestCarriedTemplateMaskedName(t *testing.T) {
	a := craftedChunk(512, 7, maskedNameBody([4]byte{2, 0, 'A', 0}, [2]byte{'B', 0}))
	b := craftedChunk(512, 7, maskedNameBody([4]byte{2, 0, 'C', 0}, [2]byte{'D', 0}))
	sameAfter(t, a, b)
}

// movedBody: the same template bytes, only moved by 2 bytes in the second
// chunk (a plain relocation); an attribute name's characters are the low
// half of the element's name offset.
func movedBody(start int) []byte {
	b := []byte{0x0f, 1, 1, 0}
	b = append(b, 0x41, 0, 0) // element, dependency id
	b = append(b, 0, 0, 1, 0) // element size (its high half: a count of 1)
	F := start + len(b)       // name reference field
	b = binary.LittleEndian.AppendUint32(b, uint32(F+4))
	b = append(b, 0, 0, 0, 0, 0, 0)
	b = binary.LittleEndian.AppendUint16(b, 5)
	b = append(b, u16le("Event")...)
	b = append(b, 0, 0)
	b = append(b, 0, 0, 0, 0) // attribute list size
	b = append(b, 0x06)
	b = binary.LittleEndian.AppendUint32(b, uint32(F-8)) // count = size's high half, char = F's low half
	b = append(b, 0x05, 0x01, 1, 0, 'x', 0)
	b = append(b, 0x03, 0x00)
	return b
}

func TestCarriedTemplateMoved(t *testing.T) {
	a := craftedChunk(512, 9, movedBody)
	b := craftedChunk(514, 9, movedBody)
	sameAfter(t, a, b)
}

// bigNameChunk: three templates of 16 KiB, each of some 3,000 attributes naming
// the same 4,096-character name defined before them (reloc.go keeps one copy
// of it per template, counted against the cache's bound).
func bigNameChunk(chunkNo int) []byte {
	d := make([]byte, chunkSize)
	copy(d, chunkMagic)
	le := binary.LittleEndian
	// A 4096-character name at 512.
	x := d[:512]
	x = append(x, 0, 0, 0, 0, 0, 0)
	x = le.AppendUint16(x, 4096)
	for range 4096 {
		x = append(x, 'a', 0)
	}
	x = append(x, 0, 0)
	for j := range 3 {
		recAt := len(x)
		x = append(x, recordMagic...)
		x = append(x, make([]byte, 20)...)
		x = append(x, 0x0f, 1, 1, 0)
		defOff := len(x) + 10
		x = append(x, 0x0c, 1, 0, 0, 0, 0)
		x = le.AppendUint32(x, uint32(defOff))
		x = le.AppendUint32(x, 0)
		g := make([]byte, 16)
		le.PutUint32(g, uint32(chunkNo*3+j+1))
		x = append(x, g...)
		sizeAt := len(x)
		x = append(x, 0, 0, 0, 0)
		start := len(x)
		x = append(x, 0x0f, 1, 1, 0, 0x41, 0, 0, 0, 0, 0, 0)
		x = le.AppendUint32(x, uint32(len(x)+4))
		x = append(x, 0, 0, 0, 0, 0, 0)
		x = le.AppendUint16(x, 5)
		x = append(x, u16le("Event")...)
		x = append(x, 0, 0, 0, 0, 0, 0)
		for len(x)-start+5+2 <= maxRelocBody {
			x = append(x, 0x06)
			x = le.AppendUint32(x, 512)
		}
		x = append(x, 0x03, 0x00)
		le.PutUint32(x[sizeAt:], uint32(len(x)-start))
		x = le.AppendUint32(x, 0)
		x = append(x, 0)
		size := len(x) + 4 - recAt
		x = le.AppendUint32(x, uint32(size))
		le.PutUint32(x[recAt+4:], uint32(size))
		le.PutUint64(x[recAt+8:], uint64(j+1))
	}
	le.PutUint32(d[48:], uint32(len(x)))
	return d
}

func TestCarriedTemplatesBounded(t *testing.T) {
	n := NewNormalizer()
	for i := range 20 {
		decodeAll(n, bigNameChunk(i), int64(fileHeaderSize+i*chunkSize))
	}
	names, refs := 0, 0
	held := map[*byte]bool{} // a name's copy is shared by the references to it
	for _, e := range n.c.reloc {
		refs += len(e.refs)
		for _, r := range e.refs {
			if p := unsafe.SliceData(r.name); p != nil && !held[p] {
				held[p] = true
				names += len(r.name)
			}
		}
	}
	t.Logf("%d entries, relocBytes %d, refs %d, name bytes held %d MiB", len(n.c.reloc), n.c.relocBytes, refs, names>>20)
	if names > maxRelocBytes {
		t.Errorf("the kept templates hold %d MiB of names beyond the %d MiB bound", names>>20, maxRelocBytes>>20)
	}
}

// Identical template bytes (absolute name offsets included) at another
// offset in the next chunk: c.shared reuses the first parse.
func sameBytesBody(int) []byte {
	start := 574
	b := []byte{0x0f, 1, 1, 0}
	b = append(b, 0x01, 0, 0)
	b = append(b, 0, 0, 0, 0)
	F := start + len(b)
	b = binary.LittleEndian.AppendUint32(b, uint32(F+4))
	b = append(b, 0, 0, 0, 0, 0, 0)
	b = binary.LittleEndian.AppendUint16(b, 5)
	b = append(b, u16le("Event")...)
	b = append(b, 0, 0)
	b = append(b, 0x03, 0x00)
	return b
}

func TestSharedTemplateMoved(t *testing.T) {
	sameAfter(t, craftedChunk(512, 5, sameBytesBody), craftedChunk(520, 5, sameBytesBody))
}

// Each chunk decoded after every earlier chunk of its file (carried caches)
// against a fresh Normalizer, with random mutations of the later chunks.
func TestCarriedMatchesFresh(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	diffs := 0
	paths := fixtures(t)
	filepath.WalkDir(sharedSamples, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".evtx") {
			paths = append(paths, p)
		}
		return nil
	})
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil || len(b) < fileHeaderSize+chunkSize {
			continue
		}
		var chunks [][]byte
		for off := fileHeaderSize; off+chunkSize <= len(b); off += chunkSize {
			chunks = append(chunks, b[off:off+chunkSize])
		}
		for round := 0; round < 3; round++ {
			n := NewNormalizer()
			for i, c := range chunks {
				d := c
				if round > 0 && i > 0 {
					d = append([]byte(nil), c...)
					for k := 0; k < 1+rng.Intn(round*4); k++ {
						p := chunkHeaderSize + rng.Intn(len(d)-chunkHeaderSize)
						d[p] ^= byte(1 << rng.Intn(8))
					}
				}
				off := int64(fileHeaderSize + i*chunkSize)
				got := strings.Join(decodeAll(n, d, off), "\n")
				want := strings.Join(decodeAll(NewNormalizer(), d, off), "\n")
				if got != want {
					diffs++
					if diffs < 4 {
						i := 0
						for i < len(got) && i < len(want) && got[i] == want[i] {
							i++
						}
						t.Errorf("%s chunk %d round %d: carried differs at %d:\n got  %q\n want %q", path, i, round, i, got[max(0, i-80):min(len(got), i+80)], want[max(0, i-80):min(len(want), i+80)])
					}
				}
			}
		}
	}
	t.Logf("%d differing chunks", diffs)
}

// TestAttributesBounded: a record whose template has thousands of attributes
// naming one 4,096-character name renders past the per-record XML limit; it
// is rejected, not rendered (attributes once escaped the limit).
func TestAttributesBounded(t *testing.T) {
	n := NewNormalizer()
	longest, rejects := 0, 0
	n.Decode(bigNameChunk(0), fileHeaderSize, func(ev *winevent.Event, xml string, rec Record, _ []byte) {
		longest = max(longest, len(xml))
	}, func(r format.Reject) {
		if strings.Contains(r.Reason, "bytes of XML") {
			rejects++
		}
	})
	if longest > maxRecordXML || rejects != 3 {
		t.Errorf("longest XML %d bytes (limit %d), %d records rejected for their size; want 3", longest, maxRecordXML, rejects)
	}
}
