package rules_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bouncer-mail/bouncer/rules"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// oneRule parses a file holding one rule with the given match block.
func oneRule(t *testing.T, match string) *rules.Rule {
	t.Helper()
	src := "rules:\n  - name: r\n    match:\n" + indent(match, "      ") + "    set: {label: x}\n"
	f, err := rules.Parse("t.yaml", []byte(src))
	require.NoError(t, err, src)
	require.Len(t, f.Rules, 1)
	return f.Rules[0]
}

func indent(s, by string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		b.WriteString(by + l + "\n")
	}
	return b.String()
}

func TestEachCondition(t *testing.T) {
	base := rules.Subject{
		Status: "5.7.1", ReplyCode: "554", Text: "554 5.7.1 Message  REJECTED by corporate filter (policy 42)",
		RemoteMTA: "mx2.filter.example.net", Recipient: "ann@corp.example.org", Sender: "news@shop.example.com",
		Decoder: "postfix", Kind: "dsn", Action: "failed",
	}
	cases := []struct {
		name, match string
		yes, no     func(*rules.Subject)
	}{
		{"status exact", `status: ["5.7.1"]`, nil, func(s *rules.Subject) { s.Status = "5.7.2" }},
		{"status pattern", `status: ["5.7.*"]`, nil, func(s *rules.Subject) { s.Status = "5.1.1" }},
		{"status class", `status: ["5.*"]`, nil, func(s *rules.Subject) { s.Status = "4.7.1" }},
		{"status absent", `status: ["5.7.*"]`, nil, func(s *rules.Subject) { s.Status = "" }},
		{"reply exact", `reply_code: ["554"]`, nil, func(s *rules.Subject) { s.ReplyCode = "550" }},
		{"reply pattern", `reply_code: ["55x"]`, nil, func(s *rules.Subject) { s.ReplyCode = "451" }},
		{"phrases any, case and space folded", `phrases: ["nope", "message rejected by corporate"]`, nil,
			func(s *rules.Subject) { s.Text = "message rejected by the corporate filter" }},
		{"regex case-insensitive", `regex: 'rejected by \w+ filter \(policy \d+\)'`, nil,
			func(s *rules.Subject) { s.Text = "rejected by filter" }},
		{"regex case-sensitive with (?-i)", `regex: '(?-i)REJECTED'`, nil,
			func(s *rules.Subject) { s.Text = "rejected" }},
		{"remote MTA host", `remote_mta: ["mx2.filter.example.net"]`, nil, func(s *rules.Subject) { s.RemoteMTA = "mx.other.net" }},
		{"remote MTA domain", `remote_mta: [".example.net"]`, nil, func(s *rules.Subject) { s.RemoteMTA = "mx.example.com" }},
		{"recipient domain and subdomains", `recipient_domain: ["example.org"]`, nil,
			func(s *rules.Subject) { s.Recipient = "ann@example.com" }},
		{"sender domain", `sender_domain: ["shop.example.com"]`, nil, func(s *rules.Subject) { s.Sender = "news@example.com" }},
		{"decoder", `decoder: ["exim", "postfix"]`, nil, func(s *rules.Subject) { s.Decoder = "qmail" }},
		{"kind", `kind: ["dsn"]`, nil, func(s *rules.Subject) { s.Kind = "ndr" }},
		{"action", `action: ["failed"]`, nil, func(s *rules.Subject) { s.Action = "delayed" }},
		{"all conditions must hold", "status: [\"5.7.1\"]\nphrases: [\"corporate filter\"]\nrecipient_domain: [corp.example.org]", nil,
			func(s *rules.Subject) { s.Recipient = "ann@example.org" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := oneRule(t, c.match)
			s := base
			assert.True(t, r.Matches(&s), "should match %+v", s)
			s = base
			c.no(&s)
			assert.False(t, r.Matches(&s), "should not match %+v", s)
		})
	}
}

// writeRules writes a rule file setting label on a rule named name that
// matches the phrase "corporate filter".
func writeRules(t *testing.T, dir, file, name string) string {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	p := filepath.Join(dir, file)
	src := "rules:\n  - name: " + name + "\n    match: {phrases: [corporate filter]}\n    set: {reason: filtered, label: " + name + "}\n"
	require.NoError(t, os.WriteFile(p, []byte(src), 0o644))
	return p
}

func TestLoadOrder(t *testing.T) {
	tmp := t.TempDir()
	d := rules.Dirs{ConfigHome: filepath.Join(tmp, "config"), System: filepath.Join(tmp, "etc")}
	userDir := filepath.Join(d.ConfigHome, "bouncer", "rules.d")
	flagFile := writeRules(t, filepath.Join(tmp, "cwd"), "mine.yaml", "from-flag")
	userB := writeRules(t, userDir, "20-b.yaml", "user-b")
	userA := writeRules(t, userDir, "10-a.yaml", "user-a")
	sys := writeRules(t, d.System, "00-sys.yaml", "system")
	// not rule files: ignored
	require.NoError(t, os.WriteFile(filepath.Join(userDir, "notes.txt"), []byte("x"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(userDir, ".hidden.yaml"), []byte("x: ["), 0o644))

	files, err := d.Files([]string{flagFile})
	require.NoError(t, err)
	assert.Equal(t, []string{flagFile, userA, userB, sys}, files, "flag files, then the user's rules.d by name, then the system's")

	sub := func() *rules.Subject {
		return &rules.Subject{Status: "5.1.1", Text: "550 5.1.1 rejected by corporate filter"}
	}
	set, err := d.Load([]string{flagFile})
	require.NoError(t, err)
	var names []string
	for _, r := range set.Rules[:4] {
		names = append(names, r.Name)
	}
	assert.Equal(t, []string{"from-flag", "user-a", "user-b", "system"}, names)
	assert.True(t, strings.HasPrefix(set.Rules[4].Origin, "builtin:"), "built-in rules come last: %s", set.Rules[4].Origin)

	// First match wins across the levels: remove each winner in turn.
	r, _ := set.Match(sub())
	assert.Equal(t, "from-flag", r.Name)
	set, err = d.Load(nil)
	require.NoError(t, err)
	r, _ = set.Match(sub())
	assert.Equal(t, "user-a", r.Name)
	require.NoError(t, os.RemoveAll(userDir))
	set, err = d.Load(nil)
	require.NoError(t, err)
	r, _ = set.Match(sub())
	assert.Equal(t, "system", r.Name)
	assert.Equal(t, sys+":2", r.Origin)
	set, err = rules.Dirs{}.Load(nil)
	require.NoError(t, err)
	r, _ = set.Match(sub())
	require.NotNil(t, r, "the built-in status table knows 5.1.1")
	assert.True(t, strings.HasPrefix(r.Origin, "builtin:"), r.Origin)

	// A file given with --rules that also sits in rules.d is read once.
	again := writeRules(t, userDir, "10-a.yaml", "user-a")
	files, err = d.Files([]string{again})
	require.NoError(t, err)
	assert.Equal(t, []string{again, sys}, files)
}

func TestDirsFromEnv(t *testing.T) {
	env := map[string]string{"HOME": "/home/ann"}
	d := rules.DirsFromEnv(func(k string) string { return env[k] })
	assert.Equal(t, []string{"/home/ann/.config/bouncer/rules.d", "/etc/bouncer/rules.d"}, d.RuleDirs())
	env["XDG_CONFIG_HOME"] = "/x/cfg"
	d = rules.DirsFromEnv(func(k string) string { return env[k] })
	assert.Equal(t, []string{"/x/cfg/bouncer/rules.d", "/etc/bouncer/rules.d"}, d.RuleDirs())
	env["XDG_CONFIG_HOME"] = "relative" // the spec says: ignore a relative path
	d = rules.DirsFromEnv(func(k string) string { return env[k] })
	assert.Equal(t, "/home/ann/.config", d.ConfigHome)
}

func TestPrecedenceUserBeforeBuiltin(t *testing.T) {
	// A provider's "5.1.1" that really means a rate limit: the built-in status
	// table says userunknown, the user's rule comes first and wins.
	f, err := rules.Parse("mine.yaml", []byte(`rules:
  - name: not-really-unknown
    match: {status: ["5.1.1"], remote_mta: [".example.net"]}
    set: {reason: speeding, hard: false, side: sender, action: respect-rate-limit, label: ticket-7}
`))
	require.NoError(t, err)
	set, err := rules.NewSet(f)
	require.NoError(t, err)
	s := &rules.Subject{Status: "5.1.1", ReplyCode: "550", Text: "550 5.1.1 user unknown", RemoteMTA: "mx.example.net"}
	r, hit := set.Match(s)
	require.NotNil(t, r)
	assert.Equal(t, "not-really-unknown", r.Name)
	assert.Equal(t, "mine.yaml:2", r.Origin)
	assert.Equal(t, rules.Hit{Field: "status", Matched: "5.1.1"}, hit)
	assert.Equal(t, "speeding", r.Set.Reason)
	require.NotNil(t, r.Set.Hard)
	assert.False(t, *r.Set.Hard)
	assert.Equal(t, "sender", r.Set.Side)
	assert.Equal(t, "ticket-7", r.Set.Label)

	s.RemoteMTA = "mx.example.com" // the user's rule no longer holds
	r, _ = set.Match(s)
	require.NotNil(t, r)
	assert.NotEqual(t, "not-really-unknown", r.Name)
}

func TestUserActionText(t *testing.T) {
	f, err := rules.Parse("mine.yaml", []byte(`rules:
  - name: runbook
    match: {phrases: [corporate filter]}
    set: {action: runbook-12}
actions:
  runbook-12: {en: "Follow runbook 12.", fr: "Suivre la procédure 12."}
  plain: "English only."
`))
	require.NoError(t, err)
	set, err := rules.NewSet(f)
	require.NoError(t, err)
	assert.Equal(t, "Follow runbook 12.", set.ActionText("runbook-12", "en"))
	assert.Equal(t, "Suivre la procédure 12.", set.ActionText("runbook-12", "fr"))
	assert.Equal(t, "English only.", set.ActionText("plain", "fr"), "French falls back to English")
}

func TestValidationErrors(t *testing.T) {
	cases := []struct {
		name, src string
		line, col int
		msg       string
	}{
		{"bad YAML: unclosed list", "rules:\n  - name: a\n    match: {status: [5.1.1}\n", 3, 21, "did not find expected ',' or ']'"},
		{"bad YAML: tab", "rules:\n  - name: a\n\tmatch: x\n", 2, 3, "tab character"},
		{"bad YAML: mapping in a value", "rules:\n  - name: a: b\n", 2, 3, "mapping values are not allowed"},
		{"bad YAML: indentation", "rules:\n  - name: a\n   match: {}\n", 2, 3, "did not find expected '-' indicator (in the list or mapping that starts here)"},
		{"unknown top-level field", "rules: []\nextra: 1\n", 2, 1, `unknown field "extra"`},
		{"unknown rule field", "rules:\n  - name: a\n    when: {status: [5.1.1]}\n", 3, 5, `unknown field "when"`},
		{"unknown match field", "rules:\n  - name: a\n    match:\n      subject: [x]\n    set: {label: x}\n", 4, 7, `unknown field "subject"`},
		{"unknown set field", "rules:\n  - name: a\n    match: {status: [5.1.1]}\n    set: {reasn: speeding}\n", 4, 11, `unknown field "reasn"`},
		{"unknown reason", "rules:\n  - name: a\n    match: {status: [5.1.1]}\n    set:\n      hard: true\n      reason: slowdown\n", 6, 15, `unknown reason "slowdown"`},
		{"unknown side", "rules:\n  - name: a\n    match: {status: [5.1.1]}\n    set: {side: theirs}\n", 4, 17, `side "theirs"`},
		{"unknown action", "rules:\n  - name: a\n    match: {status: [5.1.1]}\n    set: {action: pray}\n", 4, 19, `action "pray"`},
		{"regex that does not compile", "rules:\n  - name: a\n    match:\n      phrases: [x]\n      regex: 'limit (of'\n    set: {label: x}\n", 5, 14, "missing closing )"},
		{"bad status pattern", "rules:\n  - name: a\n    match: {status: [\"5.7.1\", \"7.1\"]}\n    set: {label: x}\n", 3, 31, `status "7.1"`},
		{"bad reply code", "rules:\n  - name: a\n    match:\n      reply_code:\n        - 55x\n        - 5500\n    set: {label: x}\n", 6, 11, `reply_code "5500"`},
		{"empty phrase", "rules:\n  - name: a\n    match: {phrases: [ok, \" \"]}\n    set: {label: x}\n", 3, 27, "empty phrase"},
		{"hard is not a bool", "rules:\n  - name: a\n    match: {status: [5.1.1]}\n    set:\n      hard: maybe\n", 5, 13, "maybe"},
		{"no condition", "rules:\n  - name: a\n    set: {label: x}\n", 2, 5, "no condition"},
		{"sets nothing", "rules:\n  - name: a\n    match: {status: [5.1.1]}\n", 2, 5, "sets nothing"},
		{"twice", "rules:\n  - name: a\n    match: {status: [5.1.1]}\n    set: {label: x}\n  - name: a\n    match: {status: [5.1.2]}\n    set: {label: x}\n", 5, 5, "defined twice"},
		{"action text field", "rules: []\nactions:\n  mine: {en: x, de: y}\n", 3, 17, `unknown field "de"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := rules.Parse("bad.yaml", []byte(c.src))
			require.Error(t, err)
			var e *rules.Error
			require.True(t, errors.As(err, &e), "%T %v", err, err)
			assert.Equal(t, "bad.yaml", e.File)
			assert.Equal(t, [2]int{c.line, c.col}, [2]int{e.Line, e.Column}, "%v", err)
			assert.Contains(t, e.Msg, c.msg)
			assert.Contains(t, err.Error(), "bad.yaml:")
		})
	}
}

func TestReadFilesMissing(t *testing.T) {
	_, err := rules.ReadFiles([]string{filepath.Join(t.TempDir(), "nope.yaml")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nope.yaml")
}
