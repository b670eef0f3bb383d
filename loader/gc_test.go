package loader

import (
	"os"
	"runtime"
	"runtime/debug"
	"testing"
)

// TestGCFloorRestores: the setting before a load is the setting after it,
// whatever ran in between (collections, a load inside the load).
func TestGCFloorRestores(t *testing.T) {
	if os.Getenv("GOGC") != "" {
		t.Skip("GOGC is set: gcFloor leaves the collector alone")
	}
	prev := debug.SetGCPercent(150)
	defer debug.SetGCPercent(prev)
	restore := gcFloor(64 << 20)
	if got := debug.SetGCPercent(-1); got <= 150 {
		t.Errorf("GOGC while tuned = %d, want the floor's (above 150)", got)
	}
	inner := gcFloor(1 << 30) // another load meanwhile: left alone
	inner()
	runtime.GC()
	runtime.GC()
	restore()
	runtime.GC() // a finalizer of the tuning may still run: it must not set anything
	runtime.GC()
	if got := debug.SetGCPercent(150); got != 150 {
		t.Errorf("GOGC after the load = %d, want 150", got)
	}
}
