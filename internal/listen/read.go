package listen

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// maxFileSize bounds a certificate, key or CA file. A CA bundle of the whole
// web PKI is about 200 KiB; /dev/zero or a log file named by mistake must not
// be read into memory.
const maxFileSize = 1 << 20

var (
	errNotRegular = errors.New("not a regular file")
	errTooLarge   = fmt.Errorf("larger than %d bytes", maxFileSize)
)

// readFile reads the PEM file name, which must be a regular file (symlinks
// to one are followed, as Kubernetes mounts secrets) of at most maxFileSize
// bytes. Devices and FIFOs are refused before they are opened, since reading
// them may never end; the open file is checked again in case name was
// replaced in between, and O_NONBLOCK keeps that open from waiting for a
// FIFO's writer.
func readFile(name string) ([]byte, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, fmt.Errorf("reading TLS file: %w", err)
	}
	if err := checkFile(name, fi); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("reading TLS file: %w", err)
	}
	defer f.Close() // read-only: a close error cannot lose data
	if fi, err = f.Stat(); err != nil {
		return nil, fmt.Errorf("reading TLS file: %w", err)
	}
	if err := checkFile(name, fi); err != nil {
		return nil, err
	}
	// The file may grow after Stat, so the read has its own bound.
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading TLS file: %w", err)
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("TLS file %s: %w", name, errTooLarge)
	}
	return b, nil
}

func checkFile(name string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("TLS file %s: %w (mode %v)", name, errNotRegular, fi.Mode())
	}
	if fi.Size() > maxFileSize {
		return fmt.Errorf("TLS file %s: %w", name, errTooLarge)
	}
	return nil
}
