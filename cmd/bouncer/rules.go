package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/bouncer-mail/bouncer/classify"
	"github.com/bouncer-mail/bouncer/mailbox"
	"github.com/bouncer-mail/bouncer/pipeline"
	"github.com/bouncer-mail/bouncer/rules"
)

// ruleDirs says where the rules.d folders are; tests replace it.
var ruleDirs = rules.DefaultDirs

// ruleFiles returns the rule files in force: extra, then the rules.d folders
// unless noUser.
func ruleFiles(extra []string, noUser bool) ([]string, error) {
	d := ruleDirs()
	if noUser {
		d = rules.Dirs{}
	}
	return d.Files(extra)
}

const rulesUsage = `usage: bouncer rules COMMAND [flags] [args]

commands:
  list [--rules FILE]... [--no-user-rules] [--format text|json]
        show the rules in force, in the order they are tried, with where each
        comes from (FILE:LINE, builtin:NAME.yaml:LINE), its conditions and
        what it sets
  check FILE...
        validate rule files: "FILE: ok: N rules", or FILE:LINE:COLUMN: error
        (exit 1 when a file has an error)
  test [--no-user-rules] RULES.yaml... [--] PATH...
        analyze PATH (files, folders, mbox, Maildir, - for stdin) without and
        with the rule files and list every recipient whose reason, hard/soft
        or action changes, and how many recipients each of their rules
        matched. The leading arguments ending in .yaml or .yml are the rule
        files; with --, every argument before it is a rule file and every
        one after it an input.

Rule files are read in this order, the first matching rule deciding: --rules
FILEs, $XDG_CONFIG_HOME/bouncer/rules.d/*.yaml (or ~/.config/bouncer/rules.d),
/etc/bouncer/rules.d/*.yaml, then the built-in rules.
`

func runRules(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, rulesUsage)
		return exitUsage
	}
	switch args[0] {
	case "list":
		return runRulesList(args[1:], stdout, stderr)
	case "check":
		return runRulesCheck(args[1:], stdout, stderr)
	case "test":
		return runRulesTest(args[1:], stdin, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, rulesUsage)
		return exitOK
	}
	fmt.Fprintf(stderr, "bouncer rules: unknown command %q\n\n%s", args[0], rulesUsage)
	return exitUsage
}

// printRuleError writes a rule file error as FILE:LINE:COLUMN: message.
func printRuleError(w io.Writer, prefix string, err error) {
	var e *rules.Error
	if errors.As(err, &e) {
		if e.Line > 0 {
			fmt.Fprintf(w, "%s:%d:%d: %s\n", e.File, e.Line, e.Column, e.Msg)
		} else {
			fmt.Fprintf(w, "%s: %s\n", e.File, e.Msg)
		}
		return
	}
	fmt.Fprintf(w, "%s: %s\n", prefix, strings.TrimPrefix(err.Error(), "rules: "))
}

func runRulesCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bouncer rules check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, "usage: bouncer rules check FILE...") }
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	code := exitOK
	for _, name := range fs.Args() {
		data, err := os.ReadFile(name)
		if err == nil {
			var f *rules.File
			if f, err = rules.Parse(name, data); err == nil {
				fmt.Fprintf(stdout, "%s: ok: %s\n", name, plural(len(f.Rules), "rule"))
				continue
			}
		}
		printRuleError(stderr, "bouncer rules check", err)
		code = exitPartial
	}
	return code
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// ruleJSON is a rule as `rules list --format json` shows it.
type ruleJSON struct {
	N      int            `json:"n"`
	Name   string         `json:"name"`
	Origin string         `json:"origin"`
	Match  map[string]any `json:"match"`
	Set    map[string]any `json:"set"`
}

// conditions lists a rule's conditions, in the order of the format's
// documentation, as name and values.
func conditions(m *rules.Match) [][2]any {
	var out [][2]any
	add := func(name string, v []string) {
		if len(v) > 0 {
			out = append(out, [2]any{name, v})
		}
	}
	add("status", m.Status)
	add("reply_code", m.ReplyCode)
	add("phrases", m.Phrases)
	add("and_phrases", m.AndPhrases)
	add("not_phrases", m.NotPhrases)
	if m.Regex != "" {
		out = append(out, [2]any{"regex", m.Regex})
	}
	add("remote_mta", m.RemoteMTA)
	add("recipient_domain", m.RecipientDomain)
	add("sender_domain", m.SenderDomain)
	add("decoder", m.Decoder)
	add("kind", m.Kind)
	add("command", m.Command)
	add("diagnostic_type", m.DiagnosticType)
	add("category", m.Category)
	add("feedback_type", m.FeedbackType)
	add("action", m.Action)
	return out
}

func decisions(d *rules.Decision) [][2]any {
	var out [][2]any
	add := func(name, v string) {
		if v != "" {
			out = append(out, [2]any{name, v})
		}
	}
	add("reason", d.Reason)
	if d.Hard != nil {
		out = append(out, [2]any{"hard", *d.Hard})
	}
	add("side", d.Side)
	add("action", d.Action)
	add("label", d.Label)
	return out
}

// shortMatch writes conditions in short: status=5.7.*,5.7.1 phrases="a"|"b"|…(+3 more).
func shortMatch(m *rules.Match) string {
	var parts []string
	for _, c := range conditions(m) {
		name := c[0].(string)
		switch v := c[1].(type) {
		case string:
			if r := []rune(v); len(r) > 60 {
				v = string(r[:59]) + "…"
			}
			parts = append(parts, fmt.Sprintf("%s=/%s/", name, v))
		case []string:
			if strings.HasSuffix(name, "phrases") {
				q := make([]string, 0, 3)
				for i, p := range v {
					if i == 3 {
						break
					}
					q = append(q, fmt.Sprintf("%q", p))
				}
				s := strings.Join(q, "|")
				if len(v) > 3 {
					s += fmt.Sprintf("|…(+%d more)", len(v)-3)
				}
				parts = append(parts, name+"="+s)
				continue
			}
			parts = append(parts, name+"="+strings.Join(v, ","))
		}
	}
	return strings.Join(parts, " ")
}

func shortSet(d *rules.Decision) string {
	var parts []string
	for _, c := range decisions(d) {
		parts = append(parts, fmt.Sprintf("%s=%v", c[0], c[1]))
	}
	return strings.Join(parts, " ")
}

func runRulesList(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bouncer rules list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var extra listFlag
	fs.Var(&extra, "rules", "a rule file to use before the others (repeatable)")
	noUser := fs.Bool("no-user-rules", false, "skip the rules.d folders")
	format := fs.String("format", "text", "output format: text or json")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: bouncer rules list [flags]")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 || (*format != "text" && *format != "json") {
		fs.Usage()
		return exitUsage
	}
	files, err := ruleFiles(extra, *noUser)
	if err != nil {
		fmt.Fprintln(stderr, "bouncer rules list:", err)
		return exitPartial
	}
	set, err := rules.Load(files)
	if err != nil {
		printRuleError(stderr, "bouncer rules list", err)
		return exitPartial
	}
	if *format == "json" {
		out := struct {
			Files []string   `json:"files"`
			Rules []ruleJSON `json:"rules"`
		}{Files: set.Files, Rules: []ruleJSON{}}
		for i, r := range set.Rules {
			j := ruleJSON{N: i + 1, Name: r.Name, Origin: r.Origin, Match: map[string]any{}, Set: map[string]any{}}
			for _, c := range conditions(&r.Match) {
				j.Match[c[0].(string)] = c[1]
			}
			for _, c := range decisions(&r.Set) {
				j.Set[c[0].(string)] = c[1]
			}
			out.Rules = append(out.Rules, j)
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintln(stderr, "bouncer rules list:", err)
			return exitPartial
		}
		return exitOK
	}
	fmt.Fprintln(stdout, "Rule files, in the order they are tried:")
	for _, f := range set.Files {
		fmt.Fprintln(stdout, "  "+f)
	}
	fmt.Fprintln(stdout)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	// the decision before the conditions: a long condition then pads
	// nothing after it
	fmt.Fprintln(tw, "#\tORIGIN\tNAME\tSET\tMATCH")
	for i, r := range set.Rules {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", i+1, r.Origin, r.Name, shortSet(&r.Set), clean(shortMatch(&r.Match)))
	}
	if err := tw.Flush(); err != nil {
		return exitPartial
	}
	return exitOK
}

// clean replaces control characters by spaces, for one-line output.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// splitRulesArgs tells rule files from inputs: with "--", the arguments
// before it are rule files; without, the leading arguments ending in .yaml
// or .yml are.
func splitRulesArgs(args []string) (ruleFiles, inputs []string) {
	for i, a := range args {
		if a == "--" {
			return args[:i], args[i+1:]
		}
	}
	i := 0
	for i < len(args) && (strings.HasSuffix(args[i], ".yaml") || strings.HasSuffix(args[i], ".yml")) {
		i++
	}
	return args[:i], args[i:]
}

// change is one recipient whose verdict a rule edit changes.
type change struct {
	source, recipient string
	before, after     string
	rule              string
}

func verdictLine(reason string, hard bool, action string) string {
	hs := "soft"
	if hard {
		hs = "hard"
	}
	return reason + " " + hs + " " + action
}

func runRulesTest(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bouncer rules test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	noUser := fs.Bool("no-user-rules", false, "skip the rules.d folders on both sides of the comparison")
	workers := fs.Int("workers", 0, "parsing workers (default: one per core)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: bouncer rules test [flags] RULES.yaml... [--] PATH...")
		fmt.Fprintln(stderr, "  Rule files are the leading arguments ending in .yaml or .yml, or all the")
		fmt.Fprintln(stderr, "  arguments before --; the rest are inputs, as for bouncer analyze.")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	given, inputs := splitRulesArgs(fs.Args())
	if len(given) == 0 || len(inputs) == 0 {
		fmt.Fprintln(stderr, "bouncer rules test: give rule files and inputs")
		fs.Usage()
		return exitUsage
	}
	parsed, err := rules.ReadFiles(given)
	if err != nil {
		printRuleError(stderr, "bouncer rules test", err)
		return exitPartial
	}
	// Both sides read the rules.d folders (less any given file) and the
	// built-in rules; only the given files differ.
	others, err := ruleFiles(nil, *noUser)
	if err == nil {
		others, err = withoutFiles(others, given)
	}
	var baseFiles []*rules.File
	if err == nil {
		baseFiles, err = rules.ReadFiles(others)
	}
	var before, after *rules.Set
	if err == nil {
		before, err = rules.NewSet(baseFiles...)
	}
	if err == nil {
		after, err = rules.NewSet(append(append([]*rules.File{}, parsed...), baseFiles...)...)
	}
	if err != nil {
		printRuleError(stderr, "bouncer rules test", err)
		return exitPartial
	}
	clBefore, err := classify.New(before, "en")
	if err != nil {
		fmt.Fprintln(stderr, "bouncer rules test:", err)
		return exitPartial
	}
	clAfter, err := classify.New(after, "en")
	if err != nil {
		fmt.Fprintln(stderr, "bouncer rules test:", err)
		return exitPartial
	}

	var userRules []*rules.Rule
	for _, f := range parsed {
		userRules = append(userRules, f.Rules...)
	}
	matched := make([]int, len(userRules))
	decided := map[*rules.Rule]int{}
	origin := map[string]*rules.Rule{}
	for _, r := range userRules {
		origin[r.Origin] = r
	}
	var changes []change
	recipients, unreadable := 0, 0
	src := mailbox.NewReader(inputs, mailbox.Options{Stdin: stdin})
	defer src.Close()
	err = pipeline.Run(src, pipeline.Options{Workers: *workers, Classifier: clAfter, Explain: true},
		func(r *pipeline.Result) error {
			if r.Err != nil {
				unreadable++
				fmt.Fprintln(stderr, describeErr(r))
				return nil
			}
			if len(r.Records) == 0 {
				return nil
			}
			old := pipeline.Classify(r.Source, r.Source, r.Bounce, clBefore, true)
			sender := addrOnly(r.Bounce.Original.From)
			for i := range r.Records {
				recipients++
				a, b := &r.Records[i], &old[i]
				if ur := origin[a.Explain.Origin]; ur != nil && ur.Name == a.Explain.Rule {
					decided[ur]++
				}
				rc := &r.Bounce.Recipients[i]
				sub := rules.Subject{Status: rc.Status, ReplyCode: rc.ReplyCode, Text: rc.Diagnostic,
					RemoteMTA: rc.RemoteMTA, Recipient: rc.Address, Sender: sender,
					Decoder: r.Bounce.Decoder, Kind: string(r.Bounce.Kind), Action: rc.Action}
				for j, ur := range userRules {
					if ur.Matches(&sub) {
						matched[j]++
					}
				}
				if a.Reason == b.Reason && a.HardBounce == b.HardBounce && a.RecommendedAction == b.RecommendedAction {
					continue
				}
				changes = append(changes, change{
					source: r.Source, recipient: a.Recipient,
					before: verdictLine(b.Reason, b.HardBounce, b.RecommendedAction),
					after:  verdictLine(a.Reason, a.HardBounce, a.RecommendedAction),
					rule:   fmt.Sprintf("%s (%s)", a.Explain.Rule, a.Explain.Origin),
				})
			}
			return nil
		})
	if err != nil {
		fmt.Fprintln(stderr, "bouncer rules test:", err)
		return exitPartial
	}

	fmt.Fprintf(stdout, "%s changed of %s read\n", plural(len(changes), "recipient"), plural(recipients, "recipient"))
	if len(changes) > 0 {
		fmt.Fprintln(stdout)
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SOURCE\tRECIPIENT\tBEFORE\t\tAFTER\tDECIDED BY")
		for _, c := range changes {
			fmt.Fprintf(tw, "%s\t%s\t%s\t->\t%s\t%s\n", c.source, dashIfEmpty(c.recipient), c.before, c.after, c.rule)
		}
		tw.Flush()
	}
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, "Rules of the given files (matched: all its conditions hold; decided: it was the first to match):")
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ORIGIN\tNAME\tMATCHED\tDECIDED")
	for j, ur := range userRules {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", ur.Origin, ur.Name, matched[j], decided[ur])
	}
	tw.Flush()
	if unreadable > 0 {
		return exitPartial
	}
	return exitOK
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// withoutFiles drops from list the files that are one of drop.
func withoutFiles(list, drop []string) ([]string, error) {
	var out []string
	for _, f := range list {
		fi, err := os.Stat(f)
		if err != nil {
			return nil, fmt.Errorf("rules: %v", err)
		}
		same := false
		for _, d := range drop {
			if di, err := os.Stat(d); err == nil && os.SameFile(fi, di) {
				same = true
			}
		}
		if !same {
			out = append(out, f)
		}
	}
	return out, nil
}

// addrOnly returns the address of a From value, lower-cased, as the
// classification sees the sender.
func addrOnly(v string) string {
	if i := strings.LastIndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return strings.ToLower(v[i+1 : i+j])
		}
	}
	return strings.ToLower(strings.TrimSpace(v))
}
