//go:build linux

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/bouncer-mail/bouncer/internal/dovecottest"
)

// On a terminal, with no password in the environment or a file, bouncer asks
// for it without echoing it, and shows the fetch's progress. script(1) (of
// util-linux, hence Linux only) gives the command a pseudo-terminal whose
// input is the test's.
func TestIMAPPasswordPrompt(t *testing.T) {
	scriptBin, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script(1) not found: no pseudo-terminal to test the prompt")
	}
	srv := dovecottest.Start(t)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv(passwordEnv, "")
	data, err := os.ReadFile("../../testdata/dsn-rate-limit.eml")
	require.NoError(t, err)
	srv.Deliver(t, "INBOX", data, "", time.Time{})

	bin := filepath.Join(t.TempDir(), "bouncer")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())

	cmdline := strings.Join([]string{bin, "analyze", "--format", "ndjson", "--ca-file", srv.CAFile, "'" + srv.URL(true, "INBOX") + "'"}, " ")
	cmd := exec.Command(scriptBin, "-qec", cmdline, "/dev/null")
	cmd.Env = append(os.Environ(), "TERM=dumb")
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	cmd.Stdin = pr
	outR, outW, err := os.Pipe()
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = outW, outW
	require.NoError(t, cmd.Start())
	outW.Close()
	pr.Close()

	// Read what the terminal shows; type the password once the prompt is
	// there (echo is then off, so the typed password must not show).
	var out bytes.Buffer
	prompted := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		asked := false
		for {
			n, err := outR.Read(buf)
			out.Write(buf[:n])
			if !asked && strings.Contains(out.String(), "IMAP password for ") {
				asked = true
				close(prompted)
			}
			if err != nil {
				return
			}
		}
	}()
	select {
	case <-prompted:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("no password prompt after 30s")
	}
	// The prompt is written just before echo is turned off: a person
	// types after reading it; the test types once the terminal's echo is
	// off (a slow machine may take a while to get there).
	waitEchoOff(t, cmd.Process.Pid)
	_, err = pw.WriteString(dovecottest.Password + "\n")
	require.NoError(t, err)
	pw.Close()
	werr := cmd.Wait()
	<-done
	require.NoError(t, werr, out.String())

	got := out.String()
	assert.Contains(t, got, "IMAP password for "+dovecottest.User)
	assert.Contains(t, got, `"reason":"speeding"`, "logged in with the typed password and read the mailbox")
	assert.NotContains(t, got, dovecottest.Password, "the password is not echoed")
	assert.Contains(t, got, "1/1 messages", "a progress line on a terminal")
}

// waitEchoOff waits until the terminal that script(1), process pid, gave its
// child no longer echoes.
func waitEchoOff(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		tty := childTerminal(pid)
		if tty == "" {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		f, err := os.OpenFile(tty, os.O_RDWR|unix.O_NOCTTY, 0)
		if err == nil {
			tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
			f.Close()
			if err == nil && tio.Lflag&unix.ECHO == 0 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the terminal still echoes 30 s after the prompt")
}

// childTerminal returns the terminal (/dev/pts/N) on the standard input of
// a child of process pid, "" when there is none yet.
func childTerminal(pid int) string {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, st := range stats {
		b, err := os.ReadFile(st)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read after ")"
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 || f[1] != strconv.Itoa(pid) {
			continue
		}
		tty, err := os.Readlink(filepath.Join(filepath.Dir(st), "fd", "0"))
		if err == nil && strings.HasPrefix(tty, "/dev/pts/") {
			return tty
		}
	}
	return ""
}
