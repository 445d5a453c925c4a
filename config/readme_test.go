package config

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReadmeDocumentsEveryKey fails when a configuration key has no row in
// README.md's reference tables.
func TestReadmeDocumentsEveryKey(t *testing.T) {
	doc := readme(t)
	for key := range keys(reflect.TypeFor[Config](), "") {
		row := "| `" + key + "` |"
		if strings.HasPrefix(key, "providers.") {
			row = "| `" + strings.TrimPrefix(key, "providers.") + "` |"
		}
		if !strings.Contains(doc, row) {
			t.Errorf("README.md has no reference row %q", row)
		}
	}
}

// TestReadmeExampleLoads parses the first YAML example of README.md.
func TestReadmeExampleLoads(t *testing.T) {
	m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindStringSubmatch(readme(t))
	if m == nil {
		t.Fatal("README.md has no yaml example")
	}
	if _, err := Parse([]byte(m[1])); err != nil {
		t.Errorf("README.md's configuration example: %v", err)
	}
}

// keys yields the dotted key of every leaf field under t.
func keys(t reflect.Type, prefix string) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				continue
			}
			ft := f.Type
			if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k := range keys(ft, prefix+name+".") {
					if !yield(k) {
						return
					}
				}
				continue
			}
			if !yield(prefix + name) {
				return
			}
		}
	}
}
