package loader

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestHugePagesMarksTheHeap: memory the heap hands out after hugePages lies
// in a mapping marked for transparent huge pages (VmFlags "hg").
func TestHugePagesMarksTheHeap(t *testing.T) {
	if b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil || strings.Contains(string(b), "[never]") {
		t.Skip("this kernel has no transparent huge pages, or they are off")
	}
	if godebug("disablethp") == "1" {
		t.Skip("GODEBUG=disablethp=1")
	}
	hugePages(64 << 20)
	b := make([]byte, 32<<20) // larger than any free run of the heap before
	if flags := vmFlags(t, uintptr(unsafe.Pointer(&b[0]))); !strings.Contains(" "+flags+" ", " hg ") {
		t.Errorf("the heap after hugePages is not marked for huge pages: VmFlags %q", flags)
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

// vmFlags returns the VmFlags of the mapping holding addr.
func vmFlags(t *testing.T, addr uintptr) string {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if lo, hi, ok := strings.Cut(strings.Fields(line)[0], "-"); ok && !strings.HasSuffix(line, ":") {
			l, err1 := strconv.ParseUint(lo, 16, 64)
			h, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 == nil && err2 == nil {
				in = uint64(addr) >= l && uint64(addr) < h
				continue
			}
		}
		if in && strings.HasPrefix(line, "VmFlags:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmFlags:"))
		}
	}
	t.Fatalf("no mapping holds %#x", addr)
	return ""
}
