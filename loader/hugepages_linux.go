package loader

import (
	"os"
	"runtime"
	"strings"
	"syscall"
)

// hugePages builds the next size bytes of the heap on transparent huge pages
// (2 MiB) instead of 4 KiB pages.
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
// It does nothing where the kernel has no transparent huge pages or they are
// off ("never"), and with GODEBUG=disablethp=1, Go's own switch for them.
func hugePages(size int64) {
	if godebug("disablethp") == "1" || size <= 0 {
		return
	}
	markHuge(size)
	runtime.GC() // frees the marked allocation before the load's heap grows
}

// markHuge allocates size bytes, marks them for huge pages and drops them (a
// function of its own, so that no reference outlives it on the caller's stack).
//
//go:noinline
func markHuge(size int64) {
	b := make([]byte, size)
	_ = syscall.Madvise(b, syscall.MADV_HUGEPAGE) // best effort: EINVAL without THP
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
