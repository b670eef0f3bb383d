package loader

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestHugePagesMarksTheHeap: after markHuge and a collection, the heap hands
// out memory from mappings marked for transparent huge pages (VmFlags "hg").
func TestHugePagesMarksTheHeap(t *testing.T) {
	if !thpOnRequest() {
		t.Skip("transparent huge pages are not in madvise mode here")
	}
	// Larger than any free run the heap may hold before (the tests before
	// this one free smaller objects), so the allocation after reuses the
	// marked pages; it may begin in a free run just below them.
	const size = 192 << 20
	markHuge(size)
	runtime.GC()
	b := make([]byte, size)
	if marked := markedBytes(t, uintptr(unsafe.Pointer(&b[0])), size); marked < size/2 {
		t.Errorf("%d MiB of the %d MiB allocated after markHuge are marked for huge pages, want most", marked>>20, size>>20)
	}
	runtime.KeepAlive(b)
}

// TestHugePagesBounded: hugePages never marks more than the machine can give.
func TestHugePagesBounded(t *testing.T) {
	if m := maxHugeHeap(); m <= 0 || m > 1<<30 {
		t.Errorf("maxHugeHeap = %d, want 0 < m <= 1 GiB", m)
	}
}

func TestGodebug(t *testing.T) {
	t.Setenv("GODEBUG", "madvdontneed=1, disablethp=1,disablethp=0")
	if got := godebug("disablethp"); got != "0" {
		t.Errorf("godebug = %q, want the last setting, 0", got)
	}
	if got := godebug("gctrace"); got != "" {
		t.Errorf("godebug(gctrace) = %q, want \"\"", got)
	}
}

// markedBytes returns how many bytes of [addr, addr+n) lie in mappings
// marked for huge pages.
func markedBytes(t *testing.T, addr uintptr, n int) int {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	lo, hi := uint64(addr), uint64(addr)+uint64(n)
	var start, end uint64 // of the mapping being read
	marked := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if a, b, ok := strings.Cut(strings.Fields(line)[0], "-"); ok && !strings.HasSuffix(line, ":") {
			l, err1 := strconv.ParseUint(a, 16, 64)
			h, err2 := strconv.ParseUint(b, 16, 64)
			if err1 == nil && err2 == nil {
				start, end = l, h
				continue
			}
		}
		if strings.HasPrefix(line, "VmFlags:") && strings.Contains(line+" ", " hg ") {
			if l, h := max(start, lo), min(end, hi); l < h {
				marked += int(h - l)
			}
		}
	}
	return marked
}
