package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bouncer-mail/bouncer/internal/dovecottest"
	"github.com/bouncer-mail/bouncer/mailbox"
)

// BenchmarkIMAP10k analyzes a 10,000-message mailbox (the shared corpus's
// bsd folder, repeated, written straight into the Maildir) from Dovecot on
// loopback, and compares with only downloading the same bodies:
//
//	go test ./cmd/bouncer -run '^$' -bench IMAP10k -benchtime 3x
func BenchmarkIMAP10k(b *testing.B) {
	const total = 10000
	paths, _ := filepath.Glob("../../../shared/corpus/bsd/*")
	if len(paths) == 0 {
		b.Skip("the shared corpus (../shared/corpus/bsd) is not beside the project")
	}
	srv := dovecottest.Start(b)
	var bodies [][]byte
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err == nil && len(data) > 0 {
			bodies = append(bodies, data)
		}
	}
	var size int64
	for i := 0; i < total; i++ {
		data := bodies[i%len(bodies)]
		size += int64(len(data))
		srv.Deliver(b, "INBOX", data, "", time.Time{})
	}
	b.Setenv(passwordEnv, dovecottest.Password)
	b.Setenv("XDG_STATE_HOME", b.TempDir())
	url := srv.URL(true, "INBOX")
	u, err := mailbox.ParseIMAPURL(url)
	if err != nil {
		b.Fatal(err)
	}
	download := func() int {
		src := mailbox.NewIMAPSource(u, mailbox.IMAPOptions{
			TLSConfig: srv.TLSConfig,
			Auth:      mailbox.IMAPAuth{Password: func() (string, error) { return dovecottest.Password, nil }},
		})
		defer src.Close()
		n := 0
		for {
			_, err := src.Next()
			if err == io.EOF {
				return n
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	if n := download(); n != total { // Dovecot indexes the Maildir on first access
		b.Fatalf("read %d messages, want %d", n, total)
	}

	b.Run("download", func(b *testing.B) {
		b.SetBytes(size)
		cpu, server := cpuTime(), srv.CPUTime()
		for i := 0; i < b.N; i++ {
			download()
		}
		b.ReportMetric(float64(total*b.N)/b.Elapsed().Seconds(), "msgs/s")
		b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
		b.ReportMetric((srv.CPUTime()-server).Seconds()/float64(b.N), "server-cpu-s/op")
	})
	b.Run("analyze", func(b *testing.B) {
		b.SetBytes(size)
		cpu, server := cpuTime(), srv.CPUTime()
		for i := 0; i < b.N; i++ {
			var errb strings.Builder
			code := run([]string{"analyze", "--format", "ndjson", "--ca-file", srv.CAFile, url}, strings.NewReader(""), io.Discard, &errb)
			if code == exitUsage {
				b.Fatal(errb.String())
			}
		}
		b.ReportMetric(float64(total*b.N)/b.Elapsed().Seconds(), "msgs/s")
		b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
		b.ReportMetric((srv.CPUTime()-server).Seconds()/float64(b.N), "server-cpu-s/op")
	})
	// For reference: the same files read from the Maildir on disk.
	b.Run("local-maildir", func(b *testing.B) {
		b.SetBytes(size)
		cpu, server := cpuTime(), srv.CPUTime()
		for i := 0; i < b.N; i++ {
			var errb strings.Builder
			code := run([]string{"analyze", "--format", "ndjson", srv.Maildir}, strings.NewReader(""), io.Discard, &errb)
			if code == exitUsage {
				b.Fatal(errb.String())
			}
		}
		b.ReportMetric(float64(total*b.N)/b.Elapsed().Seconds(), "msgs/s")
		b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
		b.ReportMetric((srv.CPUTime()-server).Seconds()/float64(b.N), "server-cpu-s/op")
	})
}

// cpuTime is the CPU time (user and system) this process has used: the
// client's share of a run, without Dovecot's.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
