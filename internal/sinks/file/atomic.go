package file

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// testHookTempCreated, when set, runs after WriteAtomic creates and chmods
// its temp file and before it writes a byte. An error it returns aborts the
// write, which lets tests check modes and cleanup after a failure.
var testHookTempCreated func(tempPath string) error

// WriteAtomic replaces the file at path with data, so a reader sees either
// the old content or the new one and never a partial write.
//
// The data goes to a temp file in the same directory that is created with
// mode 0600 and set to perm before any byte is written. The temp file is
// fsynced, renamed over path, and then the directory is fsynced so the rename
// survives a power loss. On error the temp file is removed and path is
// left as it was.
func WriteAtomic(path string, data []byte, perm os.FileMode) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}

	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: create temp file: %w", path, err)
	}
	tmpPath := tmp.Name()
	if err := fillTemp(tmp, data, perm); err != nil {
		_ = os.Remove(tmpPath)
		return fmt.Errorf("write %s: %w", path, err)
	}

	if err := os.Rename(tmpPath, path); err != nil {
		_ = os.Remove(tmpPath)
		return fmt.Errorf("write %s: rename temp file: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// fillTemp sets the mode of tmp, writes data, fsyncs and closes it. It
// closes tmp on every path.
func fillTemp(tmp *os.File, data []byte, perm os.FileMode) error {
	// CreateTemp already used 0600, but the umask can only narrow that, so
	// set perm exactly before the first byte lands.
	if err := tmp.Chmod(perm); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("set mode of temp file: %w", err)
	}
	if testHookTempCreated != nil {
		if err := testHookTempCreated(tmp.Name()); err != nil {
			_ = tmp.Close()
			return err
		}
	}

	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write temp file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("fsync temp file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close temp file: %w", err)
	}
	return nil
}

// syncDir fsyncs a directory so a rename or removal in it is durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory for fsync: %w", err)
	}
	defer d.Close()

	// Some file systems cannot fsync a directory and return EINVAL. A rename
	// there is as durable as it gets, so that is not an error.
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("fsync directory %s: %w", dir, err)
	}
	return nil
}

// removeDurably removes path and fsyncs its directory. A missing file is not
// an error.
func removeDurably(path string) error {
	if err := os.Remove(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}
