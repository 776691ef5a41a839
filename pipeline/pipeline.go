// Package pipeline runs the analysis: messages from a source are parsed and
// classified by a bounded pool of workers, and the results come back in input
// order. Memory is bounded by the pool, never by the input.
package pipeline

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/bouncer-mail/bouncer/classify"
	"github.com/bouncer-mail/bouncer/mailbox"
	"github.com/bouncer-mail/bouncer/parser"
	"github.com/bouncer-mail/bouncer/report"
)

// Source yields messages; see mailbox.Reader. Next returns io.EOF at the end,
// and an error naming the input for a message it could not read, after which
// it may be called again.
type Source interface {
	Next() (*mailbox.Message, error)
}

// Result is the analysis of one message.
type Result struct {
	Source  string
	Bounce  *parser.Bounce // nil when the message could not be read or parsed
	Records []report.Record
	Err     error // why the message could not be read or parsed
	// Data is the raw message, kept only when Options.KeepData is set.
	Data []byte
}

// Options tune a run.
type Options struct {
	Workers    int // 0 means one per core
	Classifier *classify.Classifier
	Explain    bool // fill Record.Explain
	KeepData   bool // keep the raw bytes in Result.Data
	// Walk, when set, replaces parsing and classifying with this function:
	// benchmarks use it to measure the same pool around another workload.
	Walk func(data []byte)
}

type job struct {
	seq int
	msg *mailbox.Message
	err error
}

// Run reads src to the end and calls emit with each message's result, in
// input order, from the calling goroutine. It stops early when emit returns
// an error, and returns that error. An error of the source that is not about
// one message (a *mailbox.Error) ends the reading: it is emitted as the last
// result and returned.
func Run(src Source, opts Options, emit func(*Result) error) error {
	if opts.Classifier == nil {
		c, err := classify.New(nil, "en")
		if err != nil {
			return err
		}
		opts.Classifier = c
	}
	n := opts.Workers
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	window := 8 * n // results in flight: bounds memory
	jobs := make(chan job, n)
	results := make(chan *seqResult, window)
	tokens := make(chan struct{}, window)
	stop := make(chan struct{})
	var readErr error

	go func() {
		defer close(jobs)
		for seq := 0; ; seq++ {
			select {
			case tokens <- struct{}{}:
			case <-stop:
				return
			}
			m, err := src.Next()
			if errors.Is(err, io.EOF) && m == nil {
				<-tokens
				return
			}
			if err != nil && !isItemError(err) {
				readErr = err
				jobs <- job{seq: seq, err: err}
				return
			}
			jobs <- job{seq: seq, msg: m, err: err}
		}
	}()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				results <- &seqResult{j.seq, analyze(j, &opts)}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	pending := map[int]*Result{}
	next := 0
	var emitErr error
	for sr := range results {
		pending[sr.seq] = sr.res
		for {
			r, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			<-tokens
			if emitErr == nil {
				if emitErr = emit(r); emitErr != nil {
					close(stop)
				}
			}
		}
	}
	if emitErr != nil {
		return emitErr
	}
	if readErr != nil {
		return fmt.Errorf("reading stopped: %w", readErr)
	}
	return nil
}

type seqResult struct {
	seq int
	res *Result
}

// isItemError reports whether a source error concerns one message or input,
// so that reading can go on.
func isItemError(err error) bool {
	var me *mailbox.Error
	return errors.As(err, &me)
}

func analyze(j job, opts *Options) (res *Result) {
	if j.err == nil {
		// A bug met on one message must not end the run: that message is
		// reported as unreadable, with what went wrong, and the rest go on.
		defer func() {
			if v := recover(); v != nil {
				res = &Result{Source: j.msg.ID, Err: fmt.Errorf("internal error while parsing this message (please report it with the message): %v", v)}
			}
		}()
	}
	if j.err != nil {
		r := &Result{Err: j.err}
		var me *mailbox.Error
		if errors.As(j.err, &me) {
			r.Source = me.ID
		}
		return r
	}
	r := &Result{Source: j.msg.ID}
	if opts.Walk != nil {
		opts.Walk(j.msg.Data)
		return r
	}
	if opts.KeepData {
		r.Data = j.msg.Data
	}
	b, err := parser.Parse(j.msg.Data)
	if err != nil {
		r.Err = err
		return r
	}
	r.Bounce = b
	path := j.msg.Path
	if path == "" {
		path = j.msg.ID
	}
	r.Records = Classify(path, j.msg.ID, b, opts.Classifier, opts.Explain)
	return r
}

// Classify turns a parsed bounce into records, one per recipient. source is
// the file or mailbox, sourceID the message within it.
func Classify(source, sourceID string, b *parser.Bounce, c *classify.Classifier, explain bool) []report.Record {
	if len(b.Recipients) == 0 {
		return nil
	}
	sender := addrOnly(b.Original.From)
	out := make([]report.Record, 0, len(b.Recipients))
	for i := range b.Recipients {
		rc := &b.Recipients[i]
		v := c.Classify(classify.Input{
			Kind:           string(b.Kind),
			Decoder:        b.Decoder,
			Action:         rc.Action,
			Command:        rc.Command,
			DiagnosticType: rc.DiagnosticType,
			Category:       rc.Category,
			FeedbackType:   rc.FeedbackType,
			Status:         rc.Status,
			ReplyCode:      rc.ReplyCode,
			Diagnostic:     rc.Diagnostic,
			RemoteMTA:      rc.RemoteMTA,
			Recipient:      rc.Address,
			Sender:         sender,
		})
		date := rc.LastAttempt
		if date.IsZero() {
			date = b.Date
		}
		rec := report.Record{
			Source:            source,
			SourceID:          sourceID,
			Kind:              string(b.Kind),
			Decoder:           b.Decoder,
			Recipient:         rc.Address,
			OriginalRecipient: rc.OriginalAddress,
			Action:            rc.Action,
			Status:            v.Status,
			ReplyCode:         rc.ReplyCode,
			Reason:            v.Reason,
			HardBounce:        v.Hard,
			Side:              v.Side,
			RecommendedAction: v.Action,
			ActionText:        v.ActionText,
			Label:             v.Label,
			Diagnostic:        rc.Diagnostic,
			RemoteMTA:         rc.RemoteMTA,
			ReportingMTA:      rc.ReportingMTA,
			Command:           rc.Command,
			FeedbackType:      rc.FeedbackType,
			MessageID:         b.Original.MessageID,
			Sender:            b.Original.From,
			Subject:           b.Original.Subject,
		}
		if !date.IsZero() {
			rec.Date = date.Format(time.RFC3339)
		}
		if explain {
			rec.Explain = &report.Explain{Rule: v.Rule, Origin: v.Origin, Field: v.Hit.Field, Matched: v.Hit.Matched}
			if v.Rule == "" {
				rec.Explain.Rule = "(no rule matched)"
			}
		}
		out = append(out, rec)
	}
	return out
}

func addrOnly(v string) string {
	if i := strings.LastIndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return strings.ToLower(v[i+1 : i+j])
		}
	}
	return strings.ToLower(strings.TrimSpace(v))
}
