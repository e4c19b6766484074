package policy

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"

	"github.com/rotatord/rotatord/internal/mgmt"
)

// keyDelim joins key paths inside koanf. It is a control character rather
// than ".", so that map keys with dots (AWS tags like "app.example.com/team")
// stay whole.
const keyDelim = "\x1f"

// Load reads the configuration file at path, applies ROTATORD_ overrides
// from environ (in os.Environ form), fills defaults and validates the
// result. An invalid configuration returns a *ValidationError that lists
// every problem.
func Load(path string, environ []string) (*Config, error) {
	k, err := newKoanf()
	if err != nil {
		return nil, err
	}
	if err := k.Load(file.Provider(path), yaml.Parser()); err != nil {
		return nil, fmt.Errorf("load config %s: %w", path, err)
	}
	cfg, err := build(k, environ)
	if err != nil {
		return nil, fmt.Errorf("load config %s: %w", path, err)
	}
	cfg.Source = path
	return cfg, nil
}

// Parse is Load for a configuration held in memory.
func Parse(data []byte, environ []string) (*Config, error) {
	k, err := newKoanf()
	if err != nil {
		return nil, err
	}
	if err := k.Load(bytesProvider(data), yaml.Parser()); err != nil {
		return nil, fmt.Errorf("parse config: %w", err)
	}
	return build(k, environ)
}

// bytesProvider is a koanf provider for a configuration held in memory.
type bytesProvider []byte

func (b bytesProvider) ReadBytes() ([]byte, error) { return b, nil }

func (b bytesProvider) Read() (map[string]any, error) {
	return nil, errors.New("bytes provider needs a parser")
}

// newKoanf returns a koanf instance preloaded with the defaults of every
// setting outside of lists, so a value written in the file, even 0,
// replaces its default.
func newKoanf() (*koanf.Koanf, error) {
	k := koanf.New(keyDelim)
	for key, value := range globalDefaults() {
		if err := k.Set(key, value); err != nil {
			return nil, fmt.Errorf("set default %s: %w", key, err)
		}
	}
	return k, nil
}

// build turns the merged file into a validated Config.
func build(k *koanf.Koanf, environ []string) (*Config, error) {
	ps := &problems{}
	checkManagementTokenShape(k, ps)
	checkKeys(k.Raw(), reflect.TypeFor[Config](), "", ps)
	if err := applyEnv(k, environ, ps); err != nil {
		return nil, fmt.Errorf("read environment overrides: %w", err)
	}

	cfg := &Config{}
	decoded := &problems{}
	decode(k, cfg, decoded)
	applyDefaults(cfg)
	checked := &problems{}
	validate(cfg, checked)

	// A value that failed to decode was left at its zero value, so
	// validation problems at or below it would only repeat the failure.
	ps.list = append(ps.list, decoded.list...)
	for _, p := range checked.list {
		if !decoded.covers(p.Path) {
			ps.list = append(ps.list, p)
		}
	}
	ps.warnings = append(ps.warnings, checked.warnings...)
	inheritTiming(cfg)

	if err := ps.err(); err != nil {
		return nil, err
	}
	cfg.Warnings = ps.warnings
	cfg.Loaded = time.Now()
	return cfg, nil
}

// checkManagementTokenShape rejects a management token written into the
// file as a string, and removes it so decoding does not report it twice.
func checkManagementTokenShape(k *koanf.Koanf, ps *problems) {
	key := "cluster" + keyDelim + "managementToken"
	value := k.Get(key)
	if value == nil {
		return
	}
	if _, ok := value.(map[string]any); ok {
		return
	}
	ps.add("cluster.managementToken", "must not contain the token itself; set managementToken.env "+
		"to the name of an environment variable or managementToken.file to the path of a file that holds it")
	k.Delete(key)
}

// checkKeys reports every key in raw that the schema of t does not have.
func checkKeys(raw any, t reflect.Type, path string, ps *problems) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[mgmt.PartitionPart]() {
		return // partitionPartHook checks the keys of a part
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := raw.(map[string]any)
		if !ok || t == durationType {
			return
		}
		fields := map[string]reflect.Type{}
		for _, f := range schemaFields(t) {
			fields[f.name] = f.typ
		}
		for key, value := range m {
			child := joinPath(path, key)
			if ft, ok := fields[key]; ok {
				checkKeys(value, ft, child, ps)
			} else {
				ps.unknownKey(child, key, t)
			}
		}
	case reflect.Slice:
		items, _ := raw.([]any)
		for i, item := range items {
			checkKeys(item, t.Elem(), path+"["+strconv.Itoa(i)+"]", ps)
		}
	}
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}
