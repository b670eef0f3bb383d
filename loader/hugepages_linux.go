package loader

import (
	"bytes"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
)

// hugePages builds the next size bytes of the heap on transparent huge pages
// (2 MiB) instead of 4 KiB pages, once per process.
//
// A load touches its heap once up to the collector's floor (gcFloor), and
// each 4 KiB page costs a fault on first touch: 66 k faults on the EVTX
// benchmark, a fifth of the load's cycles on a virtual machine. Linux gives
// huge pages to memory a process marks with madvise(MADV_HUGEPAGE) under
// transparent_hugepage=madvise, the default of most distributions, and Go's
// runtime has not marked its heap since Go 1.21.1. Memory can only be marked
// once the runtime has mapped it, so hugePages allocates size bytes (fresh
// pages, which the runtime knows are zero and leaves untouched), marks them
// and collects them at once: the page allocator hands out the lowest free
// addresses first, and the load's heap is built on those pages (EVTX
// benchmark: 5 k faults instead of 66 k, −35 % CPU, docs/benchmarks.md).
//
// Once per process: the mark stays on the mapping, and a second allocation
// would reuse the freed pages, which the runtime then zeroes (touching them
// all). The size is at most an eighth of the machine's memory and 1 GiB (a
// large --flush-mb must not ask for more than the machine has). Go stopped
// marking its heap because, in long-running services, the kernel's
// khugepaged fills back in memory the runtime returned, and faults may wait
// for the kernel to compact memory; a load is one short run, and on a machine
// whose page cache was full it still gained (docs/benchmarks.md).
//
// It does nothing unless transparent huge pages are in madvise mode ("always"
// needs no mark, "never" or none allows none), and with GODEBUG=disablethp=1,
// Go's own switch for them.
func hugePages(size int64) {
	hugeOnce.Do(func() {
		size = min(size, maxHugeHeap())
		if size <= 0 || godebug("disablethp") == "1" || !thpOnRequest() {
			return
		}
		markHuge(size)
		runtime.GC() // frees the marked allocation before the load's heap grows
	})
}

var hugeOnce sync.Once

// markHuge allocates size bytes, marks them for huge pages and drops them (a
// function of its own, so that no reference outlives it on the caller's stack).
//
//go:noinline
func markHuge(size int64) {
	b := make([]byte, size)
	_ = syscall.Madvise(b, syscall.MADV_HUGEPAGE) // best effort
}

// thpOnRequest reports whether the kernel gives transparent huge pages to the
// memory a process marks, and only to it.
func thpOnRequest() bool {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	return err == nil && bytes.Contains(b, []byte("[madvise]"))
}

// maxHugeHeap is the most hugePages marks: an eighth of the machine's memory,
// and 1 GiB.
func maxHugeHeap() int64 {
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) != nil {
		return 0
	}
	return min(int64(si.Totalram)*int64(si.Unit)/8, 1<<30)
}

// godebug returns the last value GODEBUG gives name, as the runtime reads it.
func godebug(name string) string {
	v := ""
	for _, kv := range strings.Split(os.Getenv("GODEBUG"), ",") {
		if k, val, ok := strings.Cut(kv, "="); ok && strings.TrimSpace(k) == name {
			v = strings.TrimSpace(val)
		}
	}
	return v
}
