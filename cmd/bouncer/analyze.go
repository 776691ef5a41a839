package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/bouncer-mail/bouncer/classify"
	"github.com/bouncer-mail/bouncer/mailbox"
	"github.com/bouncer-mail/bouncer/pipeline"
	"github.com/bouncer-mail/bouncer/report"
	"github.com/bouncer-mail/bouncer/rules"
)

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// sourceFlags are the flags of every command that reads and classifies
// messages (analyze, digest).
type sourceFlags struct {
	lang        string
	workers     int
	rules       listFlag
	noUserRules bool
}

func (f *sourceFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.lang, "lang", "", "language of the report and actions: en or fr (default from LANG)")
	fs.IntVar(&f.workers, "workers", 0, "parsing workers (default: one per core)")
	fs.Var(&f.rules, "rules", "a rule file to use before the built-in rules (repeatable)")
	fs.BoolVar(&f.noUserRules, "no-user-rules", false, "skip the rules.d folders ($XDG_CONFIG_HOME/bouncer/rules.d, /etc/bouncer/rules.d)")
}

// classifier loads the rules and returns the classifier and the language,
// or a message and an exit code.
func (f *sourceFlags) classifier(cmd string) (*classify.Classifier, string, int, error) {
	lang := pickLang(f.lang)
	if lang == "" {
		return nil, "", exitUsage, fmt.Errorf("%s: --lang %q: use en or fr", cmd, f.lang)
	}
	files, err := ruleFiles(f.rules, f.noUserRules)
	var set *rules.Set
	if err == nil {
		set, err = rules.Load(files)
	}
	if err != nil {
		return nil, "", exitUsage, fmt.Errorf("%s: %w", cmd, err)
	}
	cl, err := classify.New(set, lang)
	if err != nil {
		return nil, "", exitPartial, fmt.Errorf("%s: %w", cmd, err)
	}
	return cl, lang, exitOK, nil
}

type analyzeFlags struct {
	sourceFlags
	format      string
	color       string
	explain     bool
	saveUnknown string
	saveNot     string
	imap        imapFlags
}

func (f *analyzeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.format, "format", "text", "output format: "+strings.Join(report.Formats, ", "))
	f.sourceFlags.register(fs)
	fs.StringVar(&f.color, "color", "auto", "colour in the text report: auto, always or never")
	fs.BoolVar(&f.explain, "explain", false, "say for each recipient which rule decided it")
	fs.StringVar(&f.saveUnknown, "save-unknown", "", "write each bounce whose reason stays undefined to this folder as .eml")
	fs.StringVar(&f.saveNot, "save-not-bounces", "", "write each message read as not a bounce (no auto-reply, no complaint) to this folder as .eml, to look for missed bounces")
	f.imap.register(fs, "analyze")
}

func runAnalyze(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bouncer analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f analyzeFlags
	f.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: bouncer analyze [flags] PATH|URL...   (PATH: file, folder, mbox, Maildir, or - for stdin;")
		fmt.Fprintln(stderr, "       URL: imaps://USER@HOST/MAILBOX or imap://USER@HOST/MAILBOX with STARTTLS)")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	inputs := fs.Args()
	if len(inputs) == 0 {
		fmt.Fprintln(stderr, "bouncer analyze: no input given (a path, or - for standard input)")
		fs.Usage()
		return exitUsage
	}
	hasIMAP := false
	for _, in := range inputs {
		hasIMAP = hasIMAP || mailbox.IsIMAPURL(in)
	}
	if err := f.imap.check(hasIMAP); err != nil {
		fmt.Fprintln(stderr, "bouncer analyze:", err)
		return exitUsage
	}
	cl, lang, code, err := f.classifier("bouncer analyze")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return code
	}
	color, err := wantColor(f.color, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "bouncer analyze:", err)
		return exitUsage
	}
	w, err := report.NewWriter(stdout, f.format, report.Options{Lang: lang, Color: color})
	if err != nil {
		fmt.Fprintln(stderr, "bouncer analyze:", err)
		return exitUsage
	}
	for _, dir := range []string{f.saveUnknown, f.saveNot} {
		if dir == "" {
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fmt.Fprintln(stderr, "bouncer analyze:", err)
			return exitUsage
		}
	}
	env, err := newIMAPEnv(&f.imap, stdin, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "bouncer analyze:", err)
		return exitUsage
	}
	src, err := openSources(inputs, env, stdin, f.imap.newOnly)
	if err != nil {
		fmt.Fprintln(stderr, "bouncer analyze:", err)
		return exitUsage
	}
	defer src.Close()
	return runPass(src, &f, pipeline.Options{Workers: f.workers, Classifier: cl, Explain: f.explain, KeepData: f.saveUnknown != "" || f.saveNot != ""}, w, stderr, true)
}

// describeErr makes one stderr line naming the message and what is wrong.
func describeErr(r *pipeline.Result) string {
	msg := r.Err.Error()
	var me *mailbox.Error
	if errors.As(r.Err, &me) {
		return "bouncer: " + msg
	}
	return fmt.Sprintf("bouncer: %s: %s", r.Source, msg)
}

func hasUndefined(r *pipeline.Result) bool {
	for i := range r.Records {
		if r.Records[i].Reason == "undefined" {
			return true
		}
	}
	return false
}

// saveMessage writes a message as an .eml file named after its source.
func saveMessage(dir string, n int, r *pipeline.Result) error {
	base := filepath.Base(strings.ReplaceAll(r.Source, "#", "-"))
	base = strings.TrimSuffix(base, ".eml")
	if base == "" || base == "-" || base == "." {
		base = "stdin"
	}
	name := filepath.Join(dir, fmt.Sprintf("%04d-%s.eml", n, base))
	return os.WriteFile(name, r.Data, 0o644)
}

// pickLang returns "en" or "fr": the flag, else the locale; "" when the flag
// names another language.
func pickLang(flagValue string) string {
	if flagValue != "" {
		if flagValue == "en" || flagValue == "fr" {
			return flagValue
		}
		return ""
	}
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if l := os.Getenv(v); l != "" {
			if strings.HasPrefix(l, "fr") {
				return "fr"
			}
			return "en"
		}
	}
	return "en"
}

// wantColor decides whether the text report is coloured: only on a terminal
// and when NO_COLOR is unset, unless forced.
func wantColor(mode string, out io.Writer) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
		if os.Getenv("NO_COLOR") != "" {
			return false, nil
		}
		f, ok := out.(*os.File)
		if !ok {
			return false, nil
		}
		st, err := f.Stat()
		return err == nil && st.Mode()&os.ModeCharDevice != 0, nil
	}
	return false, fmt.Errorf("--color %q: use auto, always or never", mode)
}
