// Package dovecottest starts a private Dovecot IMAP server for tests: on
// 127.0.0.1, on free ports, with its own configuration, passwd-file user,
// Maildir and a self-signed CA and certificate made here, all in a
// temporary folder removed afterwards. Tests are skipped when Dovecot is not
// installed (.ci/dovecot-install installs it) or when not run as root.
package dovecottest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// User and Password are the account of every server.
const (
	User     = "postmaster@example.com"
	Password = "s3cret-Pa55"
)

// Server is a running Dovecot.
type Server struct {
	// Dir holds everything; Maildir is the user's mail (INBOX at its root,
	// folders as Maildir++ ".Name" subfolders).
	Dir, Maildir string
	// IMAPSPort serves implicit TLS; IMAPPort serves STARTTLS.
	IMAPSPort, IMAPPort int
	// CAFile is the PEM of the CA that signed the server's certificate;
	// CAPool holds it.
	CAFile string
	CAPool *x509.CertPool
	// TLSConfig trusts the CA.
	TLSConfig *tls.Config

	uid, gid int
	cmd      *exec.Cmd
	seq      atomic.Int64
}

// Binary returns the path of the dovecot binary, or "".
func Binary() string {
	if p, err := exec.LookPath("dovecot"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/dovecot"); err == nil {
		return "/usr/sbin/dovecot"
	}
	return ""
}

// Start starts a server for the test and stops it at the test's end. It
// skips the test when Dovecot is missing or the test does not run as root.
// Extra lines are added to the configuration (such as an imap_capability
// without MOVE).
func Start(t testing.TB, extraConf ...string) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		t.Skip("dovecot is not installed (run .ci/dovecot-install): skipping the Dovecot integration test")
	}
	if os.Geteuid() != 0 {
		t.Skip("the Dovecot integration tests start Dovecot and need root")
	}
	mailUser, err := user.Lookup("dovecot")
	if err != nil {
		t.Skip("no dovecot system user: skipping the Dovecot integration test")
	}
	if _, err := user.Lookup("dovenull"); err != nil {
		t.Skip("no dovenull system user: skipping the Dovecot integration test")
	}
	uid, _ := strconv.Atoi(mailUser.Uid)
	gid, _ := strconv.Atoi(mailUser.Gid)

	// The login and mail processes run as dovenull and dovecot: the
	// folder must be traversable by them, which t.TempDir's is not.
	dir, err := os.MkdirTemp("", "dovecottest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	must(t, os.Chmod(dir, 0o755))
	s := &Server{Dir: dir, uid: uid, gid: gid}
	home := filepath.Join(dir, "home")
	s.Maildir = filepath.Join(home, "Maildir")
	for _, d := range []string{filepath.Join(dir, "run"), filepath.Join(dir, "state"), home, s.Maildir} {
		must(t, os.MkdirAll(d, 0o755))
	}
	for _, sub := range []string{"cur", "new", "tmp"} {
		must(t, os.MkdirAll(filepath.Join(s.Maildir, sub), 0o700))
	}
	must(t, chownR(home, uid, gid))

	s.writeCerts(t)
	s.IMAPSPort, s.IMAPPort = freePort(t), freePort(t)
	passwd := fmt.Sprintf("%s:{PLAIN}%s:%d:%d::%s::\n", User, Password, uid, gid, home)
	must(t, os.WriteFile(filepath.Join(dir, "passwd"), []byte(passwd), 0o644))
	dh := ""
	if _, err := os.Stat("/usr/share/dovecot/dh.pem"); err == nil {
		dh = "ssl_dh = </usr/share/dovecot/dh.pem\n"
	}
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
instance_name = dovecottest-%[2]d
log_path = %[1]s/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <%[1]s/cert.pem
ssl_key = <%[1]s/key.pem
%[6]sdisable_plaintext_auth = yes
auth_mechanisms = plain login
auth_failure_delay = 0
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = %[5]d
last_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:~/Maildir
mail_max_userip_connections = 100
passdb {
  driver = passwd-file
  args = scheme=PLAIN %[1]s/passwd
}
userdb {
  driver = passwd-file
  args = %[1]s/passwd
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[3]d
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = %[4]d
    ssl = yes
  }
}
protocol imap {
  imap_idle_notify_interval = 1 secs
}
`, dir, s.IMAPSPort, s.IMAPPort, s.IMAPSPort, uid, dh)
	conf += strings.Join(extraConf, "\n") + "\n"
	confPath := filepath.Join(dir, "dovecot.conf")
	must(t, os.WriteFile(confPath, []byte(conf), 0o644))

	s.cmd = exec.Command(bin, "-F", "-c", confPath)
	s.cmd.SysProcAttr = sysProcAttr()
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	must(t, err)
	defer devnull.Close()
	out, err := os.Create(filepath.Join(dir, "master.out"))
	must(t, err)
	defer out.Close()
	s.cmd.Stdin, s.cmd.Stdout, s.cmd.Stderr = devnull, out, out
	must(t, s.cmd.Start())
	t.Cleanup(s.Stop)
	deadline := time.Now().Add(10 * time.Second)
	for _, port := range []int{s.IMAPSPort, s.IMAPPort} {
		for {
			c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				logs, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
				mo, _ := os.ReadFile(filepath.Join(dir, "master.out"))
				t.Fatalf("dovecot did not listen on %d: %v\n%s\n%s", port, err, mo, logs)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return s
}

// Stop kills the server (SIGKILL frees the ports at once; a graceful stop
// takes seconds) and its children.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	s.cmd.Wait()
	s.cmd = nil
}

// Log returns Dovecot's log so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "dovecot.log"))
	return string(b)
}

// URL returns the URL of a mailbox: imaps:// on the TLS port, or imap:// on
// the STARTTLS port.
func (s *Server) URL(implicitTLS bool, mailbox string) string {
	if implicitTLS {
		return fmt.Sprintf("imaps://%s@localhost:%d/%s", User, s.IMAPSPort, mailbox)
	}
	return fmt.Sprintf("imap://%s@localhost:%d/%s", User, s.IMAPPort, mailbox)
}

// folderDir returns the Maildir folder of a mailbox ("INBOX" or a name
// with "." levels), creating it.
func (s *Server) folderDir(t testing.TB, mailbox string) string {
	d := s.Maildir
	if mailbox != "INBOX" && mailbox != "" {
		d = filepath.Join(s.Maildir, "."+mailbox)
		for _, sub := range []string{"cur", "new", "tmp"} {
			must(t, os.MkdirAll(filepath.Join(d, sub), 0o700))
			must(t, os.Chown(filepath.Join(d, sub), s.uid, s.gid))
		}
		must(t, os.Chown(d, s.uid, s.gid))
	}
	return d
}

// Deliver writes a message straight into the mailbox's cur/ folder, with
// the Maildir flag letters given ("S" for \Seen) and date as INTERNALDATE
// (zero: now). Dovecot gives it the next UID when it next looks.
func (s *Server) Deliver(t testing.TB, mailbox string, data []byte, flags string, date time.Time) {
	t.Helper()
	d := s.folderDir(t, mailbox)
	n := s.seq.Add(1)
	name := fmt.Sprintf("%d.M%dP%d.dovecottest,S=%d:2,%s", time.Now().Unix(), n, os.Getpid(), len(data), flags)
	p := filepath.Join(d, "cur", name)
	must(t, os.WriteFile(p, data, 0o600))
	must(t, os.Chown(p, s.uid, s.gid))
	if !date.IsZero() {
		must(t, os.Chtimes(p, date, date))
	}
}

// CountFiles returns the number of message files in a mailbox's cur/ and
// new/.
func (s *Server) CountFiles(t testing.TB, mailbox string) int {
	d := s.folderDir(t, mailbox)
	n := 0
	for _, sub := range []string{"cur", "new"} {
		es, err := os.ReadDir(filepath.Join(d, sub))
		must(t, err)
		n += len(es)
	}
	return n
}

func (s *Server) writeCerts(t testing.TB) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "dovecottest CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	must(t, err)
	ca, err := x509.ParseCertificate(caDER)
	must(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	must(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	must(t, err)
	var certPEM, keyPEM, caPEM bytes.Buffer
	pem.Encode(&certPEM, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	pem.Encode(&keyPEM, &pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	pem.Encode(&caPEM, &pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	must(t, os.WriteFile(filepath.Join(s.Dir, "cert.pem"), certPEM.Bytes(), 0o644))
	must(t, os.WriteFile(filepath.Join(s.Dir, "key.pem"), keyPEM.Bytes(), 0o600))
	s.CAFile = filepath.Join(s.Dir, "ca.pem")
	must(t, os.WriteFile(s.CAFile, caPEM.Bytes(), 0o644))
	s.CAPool = x509.NewCertPool()
	s.CAPool.AddCert(ca)
	s.TLSConfig = &tls.Config{RootCAs: s.CAPool}
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func chownR(root string, uid, gid int) error {
	return filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(p, uid, gid)
	})
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// KillSessions kills this server's imap processes (the logged-in
// sessions), as a dropped connection would end them; the server goes on.
// It returns how many it killed.
func (s *Server) KillSessions(t testing.TB) int {
	t.Helper()
	n := 0
	s.eachProcess(func(pid int, comm string, _ []string) {
		if comm == "imap" {
			syscall.Kill(pid, syscall.SIGKILL)
			n++
		}
	})
	return n
}

// CPUTime returns the CPU time (user and system) the server's processes
// have used so far: the live ones, and the ended ones the master has
// reaped. Linux only; 0 elsewhere.
func (s *Server) CPUTime() time.Duration {
	var ticks int64
	master := 0
	if s.cmd != nil && s.cmd.Process != nil {
		master = s.cmd.Process.Pid
	}
	s.eachProcess(func(pid int, _ string, fields []string) {
		// fields[11] and [12] are utime and stime, [13] and [14] the
		// reaped children's (proc(5), counted from the state field)
		last := 12
		if pid == master {
			last = 14
		}
		for i := 11; i <= last && i < len(fields); i++ {
			n, _ := strconv.ParseInt(fields[i], 10, 64)
			ticks += n
		}
	})
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}

// eachProcess calls f for each process of the server's process group, with
// its pid, command name and the fields of /proc/PID/stat after the name.
func (s *Server) eachProcess(f func(pid int, comm string, fields []string)) {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	pgid := s.cmd.Process.Pid
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...
		open, close := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
		if open < 0 || close < open {
			continue
		}
		fields := strings.Fields(string(stat[close+1:]))
		if len(fields) < 3 {
			continue
		}
		if g, _ := strconv.Atoi(fields[2]); g == pgid {
			f(pid, string(stat[open+1:close]), fields)
		}
	}
}
