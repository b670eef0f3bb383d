package loader

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// gcFloor sets the garbage collector's heap goal, until restore is called,
// to twice the live heap (GOGC=100, Go's default) or floor bytes, whichever
// is larger.
//
// A load's live heap is small (the rows of the flush budget, the writers'
// buffers) and its garbage large (the text of every record, the Parquet
// writer's buffers and column writers): with GOGC=100 alone the collector ran
// every 60 MiB or so, and each run stops every goroutine, turns write barriers
// on and marks the buffered rows again. With a floor at the peak heap that
// GOGC=100 reaches anyway, it runs half as often (EVTX benchmark: 17
// collections instead of 36, 8 % less CPU, peak RSS 332-345 MiB against
// 304-340). The floor is a multiple of the flush budget: memory stays bounded
// by it. GOGC set in the environment is left alone, and so are loads that
// run while another is tuning. The heap up to the floor is built on huge
// pages where Linux has them (hugePages).
func gcFloor(floor int64) (restore func()) {
	gcTuning.Lock()
	defer gcTuning.Unlock()
	if os.Getenv("GOGC") != "" || floor <= 0 || gcTuning.on {
		return func() {}
	}
	gcTuning.on = true
	gcTuning.gen++
	gen := gcTuning.gen
	// The heap up to the floor on huge pages; first, while the collector
	// still paces by the small heap before the load.
	hugePages(floor)
	// Until the first collection the goal is 4 MiB × GOGC/100.
	prev := debug.SetGCPercent(int(max(100, floor*100/(4<<20))))
	var rearm func(*gcSentinel)
	rearm = func(*gcSentinel) {
		gcTuning.Lock()
		defer gcTuning.Unlock()
		if !gcTuning.on || gcTuning.gen != gen {
			return // restored (the chain of finalizers ends here)
		}
		debug.SetGCPercent(gcPercentFor(floor))
		runtime.SetFinalizer(&gcSentinel{}, rearm)
	}
	runtime.SetFinalizer(&gcSentinel{}, rearm)
	return func() {
		gcTuning.Lock()
		defer gcTuning.Unlock()
		gcTuning.on = false
		debug.SetGCPercent(prev)
	}
}

var gcTuning struct {
	sync.Mutex
	on  bool
	gen int // of the load tuning; finalizers of earlier ones stop
}

// gcSentinel is garbage at every collection: its finalizer runs after each.
type gcSentinel struct {
	_ *int // not a tiny allocation, whose finalizer may never run
	_ [24]byte
}

// gcPercentFor returns the GOGC that puts the next heap goal at floor, or at
// twice the live heap when that is larger.
func gcPercentFor(floor int64) int {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 100
	}
	live := int64(s[0].Value.Uint64())
	if live <= 0 || 2*live >= floor {
		return 100
	}
	return int(floor*100/live - 100)
}
