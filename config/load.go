package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads and validates the configuration file at path. See [Parse].
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data)
}

// Parse decodes a YAML configuration strictly (unknown keys are errors),
// fills in defaults and validates it with [Config.Validate]. Every error is
// one line starting with "config: " and naming the key at fault.
func Parse(data []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("config: %s", oneLine(err.Error()))
	}
	// The walk explains unknown keys and bad values by their path, which the
	// YAML decoder reports only by line number.
	if doc := document(&root); doc != nil {
		if err := checkNode(doc, reflect.TypeFor[Config](), ""); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
	}

	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config: %s", oneLine(err.Error()))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("config: the file must hold exactly one YAML document")
	}

	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// document returns the top node of a parsed file, or nil for an empty one.
func document(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		return n.Content[0]
	}
	return nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// checkNode reports the first key under n that t has no field for, or whose
// value cannot be decoded into its field, naming it by path.
func checkNode(n *yaml.Node, t reflect.Type, path string) error {
	if n.Kind == yaml.AliasNode {
		return fmt.Errorf("%s: YAML aliases are not supported", orRoot(path))
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		return checkNode(n, t.Elem(), path)
	case reflect.Struct:
		return checkMapping(n, t, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return fmt.Errorf("%s: want a list", path)
		}
		for i, e := range n.Content {
			if err := checkNode(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	}
	return checkScalar(n, t, path)
}

func checkMapping(n *yaml.Node, t reflect.Type, path string) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("%s: want a mapping of keys to values", orRoot(path))
	}
	fields := make(map[string]reflect.Type, t.NumField())
	for f := range t.Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name != "" && name != "-" {
			fields[name] = f.Type
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return fmt.Errorf("%s: line %d: keys must be plain names", orRoot(path), k.Line)
		}
		sub := k.Value
		if path != "" {
			sub = path + "." + k.Value
		}
		ft, ok := fields[k.Value]
		if !ok {
			return fmt.Errorf("%s: unknown key", sub)
		}
		if err := checkNode(v, ft, sub); err != nil {
			return err
		}
	}
	return nil
}

func checkScalar(n *yaml.Node, t reflect.Type, path string) error {
	want := map[reflect.Kind]string{
		reflect.String: "a string",
		reflect.Bool:   "true or false",
		reflect.Int:    "an integer",
		reflect.Int64:  "an integer",
	}[t.Kind()]
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("%s: want %s", path, want)
	}
	if !strict(n, t.Kind()) || n.Decode(reflect.New(t).Interface()) != nil {
		return fmt.Errorf("%s: want %s, got %q", path, want, n.Value)
	}
	return nil
}

// strict reports whether n is a scalar of kind k as YAML 1.2 writes it. The
// decoder alone also takes YAML 1.1's yes, on and y, even quoted, as true,
// and truncates 1.5 to 1 and 0.9 to 0 ("the default"), so a slip could turn
// insecure_allow_http on or lift a limit.
func strict(n *yaml.Node, k reflect.Kind) bool {
	switch k {
	case reflect.Bool:
		return n.ShortTag() == "!!bool" && (n.Value == "true" || n.Value == "false")
	case reflect.Int, reflect.Int64:
		return n.ShortTag() == "!!int"
	}
	return true
}

func orRoot(path string) string {
	if path == "" {
		return "top level"
	}
	return path
}
