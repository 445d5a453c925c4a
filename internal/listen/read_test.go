//go:build unix

package listen

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	atLimit := write("at-limit.pem", bytes.Repeat([]byte("a"), maxFileSize))
	link := filepath.Join(dir, "link.pem") // as Kubernetes mounts a secret
	if err := os.Symlink(atLimit, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.pem") // no writer: a read would never end
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sparse := write("sparse.pem", nil)
	if err := os.Truncate(sparse, 1<<40); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		give    string
		wantLen int
		wantErr error
	}{
		{"at the limit", atLimit, maxFileSize, nil},
		{"symlink to a regular file", link, maxFileSize, nil},
		{"one byte over", write("over.pem", make([]byte, maxFileSize+1)), 0, errTooLarge},
		{"sparse terabyte", sparse, 0, errTooLarge},
		{"device", "/dev/zero", 0, errNotRegular},
		{"FIFO", fifo, 0, errNotRegular},
		{"directory", dir, 0, errNotRegular},
		{"missing", filepath.Join(dir, "absent.pem"), 0, os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readFile(tt.give)
			if !errors.Is(err, tt.wantErr) || len(got) != tt.wantLen {
				t.Errorf("readFile(%s) = %d bytes, %v; want %d bytes, %v",
					tt.give, len(got), err, tt.wantLen, tt.wantErr)
			}
		})
	}
}
