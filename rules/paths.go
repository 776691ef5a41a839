package rules

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bouncer-mail/bouncer/internal/xdg"
)

// SystemDir is the folder of rule files shared by every user of the machine.
const SystemDir = "/etc/bouncer/rules.d"

// Dirs says where the rules.d folders are. The zero value reads nothing but
// the files given; DefaultDirs fills it from the environment.
type Dirs struct {
	// ConfigHome is $XDG_CONFIG_HOME, or ~/.config when that is unset; the
	// user's rules are in ConfigHome/bouncer/rules.d. Empty: none.
	ConfigHome string
	// System is the system-wide folder, SystemDir by default. Empty: none.
	System string
}

// DefaultDirs returns the folders of the environment: $XDG_CONFIG_HOME (or
// $HOME/.config) and /etc/bouncer/rules.d.
func DefaultDirs() Dirs {
	return DirsFromEnv(os.Getenv)
}

// DirsFromEnv is DefaultDirs with the environment read through getenv.
func DirsFromEnv(getenv func(string) string) Dirs {
	d := Dirs{System: SystemDir}
	d.ConfigHome, _ = xdg.Config.DirFrom(getenv) // none without a home: "" reads nothing
	return d
}

// RuleDirs lists the rules.d folders in the order they are read: the user's,
// then the system's.
func (d Dirs) RuleDirs() []string {
	var out []string
	if d.ConfigHome != "" {
		out = append(out, filepath.Join(d.ConfigHome, "bouncer", "rules.d"))
	}
	if d.System != "" {
		out = append(out, d.System)
	}
	return out
}

// Files returns the rule files to read, in order: extra (the --rules files)
// as given, then the *.yaml files of each rules.d folder sorted by name. A
// missing folder is skipped; a file already in extra is not listed twice.
func (d Dirs) Files(extra []string) ([]string, error) {
	out := append([]string{}, extra...)
	seen := map[string]bool{}
	for _, f := range extra {
		if abs, err := filepath.Abs(f); err == nil {
			seen[abs] = true
		}
	}
	for _, dir := range d.RuleDirs() {
		names, err := yamlFiles(dir)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			if abs, err := filepath.Abs(n); err == nil && seen[abs] {
				continue
			}
			out = append(out, n)
		}
	}
	return out, nil
}

// yamlFiles lists dir/*.yaml sorted by name; none when dir does not exist.
func yamlFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rules: %v", err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		out = append(out, filepath.Join(dir, e.Name()))
	}
	sort.Strings(out)
	return out, nil
}

// Load reads the files of Files(extra) and returns their rules followed by
// the built-in ones.
func (d Dirs) Load(extra []string) (*Set, error) {
	files, err := d.Files(extra)
	if err != nil {
		return nil, err
	}
	return Load(files)
}

// DefaultFiles returns the rule files in force, in order: extra, then
// $XDG_CONFIG_HOME/bouncer/rules.d/*.yaml (or ~/.config/bouncer/rules.d),
// then /etc/bouncer/rules.d/*.yaml. The built-in rules come after them.
func DefaultFiles(extra []string) ([]string, error) { return DefaultDirs().Files(extra) }

// LoadDefault loads DefaultFiles(extra) followed by the built-in rules.
func LoadDefault(extra []string) (*Set, error) { return DefaultDirs().Load(extra) }

// ReadFiles reads and parses rule files in order.
func ReadFiles(names []string) ([]*File, error) {
	var out []*File
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("rules: %v", err)
		}
		f, err := Parse(name, data)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}
