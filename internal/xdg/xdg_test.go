package xdg

import "testing"

func TestDir(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, c := range []struct {
		base Base
		env  map[string]string
		want string
		err  bool
	}{
		{Data, map[string]string{"XDG_DATA_HOME": "/x/data", "HOME": "/home/u"}, "/x/data", false},
		{Data, map[string]string{"HOME": "/home/u"}, "/home/u/.local/share", false},
		{State, map[string]string{"XDG_STATE_HOME": "relative/dir", "HOME": "/home/u"}, "/home/u/.local/state", false},
		{Config, map[string]string{"HOME": "/home/u"}, "/home/u/.config", false},
		{Config, map[string]string{}, "", true},
	} {
		got, err := c.base.DirFrom(env(c.env))
		if got != c.want || (err != nil) != c.err {
			t.Errorf("%s with %v: %q, %v; want %q", c.base.Var, c.env, got, err, c.want)
		}
	}
}
