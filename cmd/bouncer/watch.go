package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/bouncer-mail/bouncer/mailbox"
	"github.com/bouncer-mail/bouncer/pipeline"
	"github.com/bouncer-mail/bouncer/report"
)

// Watch timings; tests shorten them.
var (
	watchIdleMax    = 25 * time.Minute // re-IDLE before servers' 30-minute limit
	watchBackoffMin = time.Second
	watchBackoffMax = 5 * time.Minute
)

// runWatch is "bouncer watch URL...": process what is new, then wait with
// IDLE and process each arrival, until SIGINT or SIGTERM.
func runWatch(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return watch(ctx, args, stdin, stdout, stderr)
}

func watch(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bouncer watch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f analyzeFlags
	fs.StringVar(&f.format, "format", "ndjson", "output format: ndjson or text (one report per batch of arrivals)")
	f.sourceFlags.register(fs)
	fs.BoolVar(&f.explain, "explain", false, "say for each recipient which rule decided it")
	f.imap.register(fs, "watch")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: bouncer watch [flags] URL...   (URL: imaps://USER@HOST/MAILBOX or imap://... with STARTTLS)")
		fmt.Fprintln(stderr, "Processes what earlier runs have not done, then waits for new mail (IDLE) until SIGINT or SIGTERM.")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	urls := fs.Args()
	if len(urls) == 0 {
		fmt.Fprintln(stderr, "bouncer watch: no mailbox URL given")
		fs.Usage()
		return exitUsage
	}
	var parsed []*mailbox.IMAPURL
	for _, in := range urls {
		u, err := mailbox.ParseIMAPURL(in)
		if err != nil {
			fmt.Fprintln(stderr, "bouncer watch:", err)
			return exitUsage
		}
		parsed = append(parsed, u)
	}
	if f.format != "ndjson" && f.format != "text" {
		fmt.Fprintf(stderr, "bouncer watch: --format %q: use ndjson or text\n", f.format)
		return exitUsage
	}
	if err := f.imap.check(true); err != nil {
		fmt.Fprintln(stderr, "bouncer watch:", err)
		return exitUsage
	}
	cl, lang, code, err := f.classifier("bouncer watch")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return code
	}
	env, err := newIMAPEnv(&f.imap, stdin, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "bouncer watch:", err)
		return exitUsage
	}
	if env.state == nil {
		fmt.Fprintln(stderr, "bouncer watch: no place for the state: set XDG_STATE_HOME or HOME")
		return exitUsage
	}
	w := &watcher{f: &f, env: env, popts: pipeline.Options{Workers: f.workers, Classifier: cl, Explain: f.explain}, stdout: stdout, stderr: stderr, lang: lang}
	var wg sync.WaitGroup
	for _, u := range parsed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.loop(ctx, u)
		}()
	}
	wg.Wait()
	return exitOK
}

// watcher runs one loop per mailbox; passes write their output one at a time.
type watcher struct {
	f      *analyzeFlags
	env    *imapEnv
	popts  pipeline.Options
	lang   string
	stdout io.Writer
	stderr io.Writer
	out    sync.Mutex
}

// loop connects, works and reconnects with a growing delay until ctx ends.
func (w *watcher) loop(ctx context.Context, u *mailbox.IMAPURL) {
	backoff := watchBackoffMin
	for ctx.Err() == nil {
		worked, err := w.session(ctx, u)
		if ctx.Err() != nil {
			return
		}
		if worked {
			backoff = watchBackoffMin
		}
		fmt.Fprintf(w.stderr, "bouncer watch: %v; connecting again in %v\n", err, backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, watchBackoffMax)
	}
}

// session opens one connection and runs passes on it until it fails or ctx
// ends. worked tells whether a pass succeeded (the backoff starts over).
func (w *watcher) session(ctx context.Context, u *mailbox.IMAPURL) (worked bool, err error) {
	opts, err := w.env.options(u, true)
	if err != nil {
		return false, err
	}
	opts.Progress = nil
	src := mailbox.NewIMAPSource(u, opts)
	defer src.Close()
	if err := src.Open(ctx); err != nil {
		return false, err
	}
	for {
		if err := w.pass(src); err != nil {
			return worked, err
		}
		worked = true
		if err := src.WaitNew(ctx, watchIdleMax); err != nil {
			return worked, err
		}
		if ctx.Err() != nil {
			return worked, nil
		}
		if err := src.Rescan(); err != nil {
			return worked, err
		}
	}
}

// pass reports the selected messages, then applies the actions.
func (w *watcher) pass(src *mailbox.IMAPSource) error {
	if src.Selected() == 0 {
		return nil
	}
	w.out.Lock()
	defer w.out.Unlock()
	rw, err := report.NewWriter(w.stdout, w.f.format, report.Options{Lang: w.lang})
	if err != nil {
		return err
	}
	srcs := &sources{parts: []pipeline.Source{src}, imap: []*mailbox.IMAPSource{src}}
	runPass(srcs, w.f, w.popts, rw, w.stderr, w.f.format == "text")
	return src.Err()
}
