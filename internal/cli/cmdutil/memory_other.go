//go:build !linux

package cmdutil

// totalMemory is unknown off Linux: DefaultMemoryLimit then uses its cap.
func totalMemory() uint64 { return 0 }
