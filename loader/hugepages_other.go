//go:build !linux

package loader

// hugePages does nothing: transparent huge pages are Linux's (see
// hugepages_linux.go).
func hugePages(int64) {}
