package store

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bouncer-mail/bouncer/report"
)

var t0 = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func openTest(t *testing.T, path string, opts Options) *Store {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0 }
	}
	s, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func raw(mid, body string) []byte {
	h := ""
	if mid != "" {
		h = "Message-ID: <" + mid + ">\r\n"
	}
	return []byte("From: MAILER-DAEMON@example.com\r\n" + h + "Subject: failure\r\n\r\n" + body)
}

func msg(src, mid string, date time.Time, recs ...report.Record) *Message {
	for i := range recs {
		recs[i].SourceID = src
		if recs[i].Date == "" {
			recs[i].Date = date.Format(time.RFC3339)
		}
		if recs[i].Kind == "" {
			recs[i].Kind = "dsn"
		}
	}
	return &Message{Source: src, SourceID: src, Data: raw(mid, src), Kind: "dsn", Date: date, Records: recs}
}

func hard(addr string) report.Record {
	return report.Record{Recipient: addr, Reason: "userunknown", HardBounce: true, Side: "recipient", Status: "5.1.1"}
}

func soft(addr, reason, side string) report.Record {
	return report.Record{Recipient: addr, Reason: reason, Side: side, Status: "4.2.2"}
}

func count(t *testing.T, s *Store, table string) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSchemaAndMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "b.db")
	s := openTest(t, path, Options{})
	if v, err := s.Version(); err != nil || v != SchemaVersion || v < 1 {
		t.Fatalf("version %d, %v; want %d", v, err, SchemaVersion)
	}
	var mode string
	s.db.QueryRow("PRAGMA journal_mode").Scan(&mode)
	if mode != "wal" {
		t.Errorf("journal_mode %q, want wal", mode)
	}
	for _, tb := range []string{"runs", "messages", "sources", "records", "imap_state", "forgotten"} {
		count(t, s, tb)
	}
	s.Close()
	// Reopening is a no-op; a newer schema is refused with a clear message.
	s = openTest(t, path, Options{})
	if _, err := s.db.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion+1)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(path, Options{})
	if err == nil || !strings.Contains(err.Error(), "newer than this bouncer") || !strings.HasPrefix(err.Error(), "store: ") {
		t.Fatalf("got %v", err)
	}
}

func TestMigrationFromVersionZero(t *testing.T) {
	// A database left at version 0 with an unrelated table is migrated in place.
	path := filepath.Join(t.TempDir(), "b.db")
	s := openTest(t, path, Options{})
	s.db.Exec("PRAGMA user_version = 0")
	for _, tb := range []string{"sources", "records", "messages", "runs", "imap_state", "forgotten"} {
		if _, err := s.db.Exec("DROP TABLE " + tb); err != nil {
			t.Fatal(err)
		}
	}
	s.db.Exec("CREATE TABLE keepme (x)")
	s.Close()
	s = openTest(t, path, Options{})
	if v, _ := s.Version(); v != SchemaVersion {
		t.Fatalf("version %d", v)
	}
	count(t, s, "keepme")
	count(t, s, "records")
}

func TestDedupe(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "b.db"), Options{})
	run, err := s.StartRun()
	if err != nil {
		t.Fatal(err)
	}
	m := msg("a.eml", "bounce-1@mx", t0, hard("x@example.org"), soft("y@example.org", "mailboxfull", "recipient"))
	for _, src := range []string{"a.eml", "a.eml", "copy/a.eml", "box.mbox#3"} {
		mm := *m
		mm.SourceID, mm.Source = src, src
		added, err := run.Add(&mm)
		if err != nil {
			t.Fatal(err)
		}
		if added != (src == "a.eml" && run.n == 1) {
			t.Errorf("%s: added=%v", src, added)
		}
	}
	// No Message-ID: the content hash decides.
	noID := &Message{Source: "c.eml", SourceID: "c.eml", Data: raw("", "same body"), Kind: "dsn", Date: t0,
		Records: []report.Record{hard("z@example.org")}}
	run.Add(noID)
	noID2 := *noID
	noID2.SourceID = "d.eml"
	if added, _ := run.Add(&noID2); added {
		t.Error("same content under another name stored twice")
	}
	other := *noID
	other.Data = raw("", "other body")
	if added, _ := run.Add(&other); !added {
		t.Error("different content taken as a duplicate")
	}
	if err := run.Finish(); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "messages"); n != 3 {
		t.Errorf("messages %d, want 3", n)
	}
	if n := count(t, s, "records"); n != 4 {
		t.Errorf("records %d, want 4", n)
	}
	if n := count(t, s, "sources"); n != 6 {
		t.Errorf("sources %d, want 6", n)
	}
	// A second run over the same input adds nothing.
	run2, _ := s.StartRun()
	if added, _ := run2.Add(m); added {
		t.Error("rerun stored the message again")
	}
	run2.Finish()
	if run2.Added() != 0 {
		t.Errorf("rerun added %d", run2.Added())
	}
}

func TestKey(t *testing.T) {
	k, mid, _ := Key([]byte("Subject: x\r\nMessage-Id:\r\n  <abc@host>\r\n\r\nMessage-ID: <inner@x>\r\n"))
	if k != "mid:abc@host" || mid != "abc@host" {
		t.Errorf("key %q", k)
	}
	k, _, sum := Key([]byte("Subject: x\n\nMessage-ID: <inner@x>\n"))
	if k != "sha256:"+sum {
		t.Errorf("body Message-ID used: %q", k)
	}
}

func TestInterruptedRunRerunCompletes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.db")
	s := openTest(t, path, Options{BatchSize: 2})
	msgs := make([]*Message, 5)
	for i := range msgs {
		msgs[i] = msg(fmt.Sprintf("m%d.eml", i), fmt.Sprintf("id-%d@mx", i), t0, hard(fmt.Sprintf("u%d@example.org", i)))
	}
	boom := errors.New("injected failure")
	s.testHook = func(n int) error {
		if n == 4 {
			return boom
		}
		return nil
	}
	run, _ := s.StartRun()
	var err error
	for _, m := range msgs {
		if _, err = run.Add(m); err != nil {
			break
		}
	}
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	if err := s.CheckIntegrity(); err != nil {
		t.Fatal(err)
	}
	// The first batch (2 messages) is in; the third, in the failed batch, is not.
	if n := count(t, s, "messages"); n != 2 {
		t.Errorf("messages after failure %d, want 2", n)
	}
	if n := count(t, s, "records"); n != 2 {
		t.Errorf("records after failure %d, want 2", n)
	}
	s.testHook = nil
	run2, _ := s.StartRun()
	for _, m := range msgs {
		if _, err := run2.Add(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := run2.Finish(); err != nil {
		t.Fatal(err)
	}
	if run2.Added() != 3 || count(t, s, "messages") != 5 || count(t, s, "records") != 5 {
		t.Errorf("rerun added %d, messages %d", run2.Added(), count(t, s, "messages"))
	}
}

// TestKilledRun kills a writer process in the middle of a transaction
// (os.Exit, no rollback, no close) and checks the database.
func TestKilledRun(t *testing.T) {
	if path := os.Getenv("BOUNCER_STORE_KILL_DB"); path != "" {
		s, err := Open(path, Options{BatchSize: 3})
		if err != nil {
			os.Exit(2)
		}
		s.testHook = func(n int) error {
			if n == 5 {
				os.Exit(3) // killed after one committed batch and one open one
			}
			return nil
		}
		run, _ := s.StartRun()
		for i := 0; i < 10; i++ {
			run.Add(msg(fmt.Sprintf("m%d.eml", i), fmt.Sprintf("id-%d@mx", i), t0, hard(fmt.Sprintf("u%d@example.org", i))))
		}
		os.Exit(0)
	}
	path := filepath.Join(t.TempDir(), "b.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledRun$")
	cmd.Env = append(os.Environ(), "BOUNCER_STORE_KILL_DB="+path)
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("helper: %v", err)
	}
	s := openTest(t, path, Options{})
	if err := s.CheckIntegrity(); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "messages"); n != 3 {
		t.Errorf("messages after kill %d, want 3", n)
	}
	var unfinished int
	s.db.QueryRow("SELECT count(*) FROM runs WHERE finished_at IS NULL").Scan(&unfinished)
	if unfinished != 1 {
		t.Errorf("unfinished runs %d", unfinished)
	}
	run, _ := s.StartRun()
	for i := 0; i < 10; i++ {
		run.Add(msg(fmt.Sprintf("m%d.eml", i), fmt.Sprintf("id-%d@mx", i), t0, hard(fmt.Sprintf("u%d@example.org", i))))
	}
	if err := run.Finish(); err != nil {
		t.Fatal(err)
	}
	if run.Added() != 7 || count(t, s, "records") != 10 {
		t.Errorf("rerun added %d", run.Added())
	}
}

func TestConcurrentWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.db")
	a := openTest(t, path, Options{})
	ra, _ := a.StartRun()
	if _, err := ra.Add(msg("a.eml", "a@mx", t0, hard("a@example.org"))); err != nil {
		t.Fatal(err)
	}
	// a holds an open write transaction: b gives up after its timeout, clearly.
	b := openTest(t, path, Options{BusyTimeout: 200 * time.Millisecond})
	start := time.Now()
	_, err := b.StartRun()
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "another bouncer run") {
		t.Fatalf("got %v", err)
	}
	if time.Since(start) < 150*time.Millisecond {
		t.Error("did not wait")
	}
	// With a longer timeout b waits until a is done.
	c := openTest(t, path, Options{BusyTimeout: 10 * time.Second})
	go func() { time.Sleep(300 * time.Millisecond); ra.Finish() }()
	rc, err := c.StartRun()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rc.Add(msg("c.eml", "c@mx", t0, hard("c@example.org"))); err != nil {
		t.Fatal(err)
	}
	if err := rc.Finish(); err != nil {
		t.Fatal(err)
	}
	if n := count(t, c, "messages"); n != 2 {
		t.Errorf("messages %d", n)
	}
}

func TestIMAPState(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "b.db"), Options{})
	if v, u, err := s.LoadIMAPState("pm@example.com@imap/INBOX"); err != nil || v != 0 || u != 0 {
		t.Fatal(v, u, err)
	}
	s.SaveIMAPState("pm@example.com@imap/INBOX", 7, 100)
	s.SaveIMAPState("pm@example.com@imap/INBOX", 7, 250)
	if v, u, _ := s.LoadIMAPState("pm@example.com@imap/INBOX"); v != 7 || u != 250 {
		t.Fatal(v, u)
	}
	acct, mbox, uv, uid := ParseIMAPSourceID("imap://user@host/INBOX;UIDVALIDITY=9;UID=42")
	if acct != "user@host" || mbox != "INBOX" || uv != 9 || uid != 42 {
		t.Error(acct, mbox, uv, uid)
	}
}

func TestSuppressions(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "b.db"), Options{})
	run, _ := s.StartRun()
	day := 24 * time.Hour
	n := 0
	add := func(at time.Time, r report.Record) {
		n++
		if _, err := run.Add(msg(fmt.Sprintf("m%d", n), fmt.Sprintf("id%d@mx", n), at, r)); err != nil {
			t.Fatal(err)
		}
	}
	add(t0.Add(-30*day), hard("gone@example.org"))
	// Soft on 3 distinct days within 14: suppressed.
	for _, d := range []int{1, 5, 5, 9} {
		add(t0.Add(-time.Duration(d)*day), soft("full@example.org", "mailboxfull", "recipient"))
	}
	// Soft on 2 days only, or 3 days but one outside the window: kept.
	for _, d := range []int{1, 2} {
		add(t0.Add(-time.Duration(d)*day), soft("twice@example.org", "mailboxfull", "recipient"))
	}
	for _, d := range []int{1, 2, 20} {
		add(t0.Add(-time.Duration(d)*day), soft("old@example.org", "mailboxfull", "recipient"))
	}
	// Sender-side failures never suppress, whatever their count or flags.
	for _, d := range []int{1, 2, 3, 4} {
		add(t0.Add(-time.Duration(d)*day), soft("good@example.org", "blocked", "sender"))
		add(t0.Add(-time.Duration(d)*day), soft("good2@example.org", "speeding", "recipient"))
	}
	r := hard("good3@example.org")
	r.Reason, r.Side = "authfailure", "sender"
	add(t0, r)
	run.Finish()
	got, err := s.Suppressions(SuppressOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, sp := range got {
		names = append(names, sp.Address+":"+sp.Rule+":"+sp.Reason)
	}
	want := "full@example.org:soft:mailboxfull gone@example.org:hard:userunknown"
	if strings.Join(names, " ") != want {
		t.Errorf("got %v\nwant %s", names, want)
	}
	if got[0].Days != 3 || got[0].Soft != 4 {
		t.Errorf("full: %+v", got[0])
	}
	// N and D are parameters.
	got, _ = s.Suppressions(SuppressOptions{MinDays: 2, Days: 30})
	if len(got) != 4 {
		t.Errorf("2 in 30: %v", got)
	}
	// Forgetting removes an address until it fails again.
	if known, err := s.Forget("Gone@example.org"); err != nil || !known {
		t.Fatal(known, err)
	}
	got, _ = s.Suppressions(SuppressOptions{})
	if len(got) != 1 || got[0].Address != "full@example.org" {
		t.Errorf("after forget: %v", got)
	}
	if n := count(t, s, "records"); n != 19 {
		t.Errorf("forget deleted history: %d records", n)
	}
	s.now = func() time.Time { return t0.Add(time.Hour) }
	run, _ = s.StartRun()
	add(t0.Add(time.Hour), hard("gone@example.org"))
	run.Finish()
	got, _ = s.Suppressions(SuppressOptions{Now: t0.Add(2 * time.Hour)})
	if len(got) != 2 {
		t.Errorf("hard bounce after forget not listed: %v", got)
	}
}

func TestSuppressComplaints(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "b.db"), Options{})
	run, _ := s.StartRun()
	complaint := func(id, addr, typ string) {
		m := msg(id, id+"@mx", t0.Add(-time.Hour), report.Record{Recipient: addr, Reason: "feedback", Side: "sender", FeedbackType: typ, Kind: "feedback"})
		m.Kind = "feedback"
		if _, err := run.Add(m); err != nil {
			t.Fatal(err)
		}
	}
	complaint("a", "reader@example.org", "abuse")
	complaint("b", "fan@example.org", "not-spam")
	complaint("c", "gone@example.org", "abuse")
	if _, err := run.Add(msg("d", "d@mx", t0.Add(-time.Hour), hard("gone@example.org"))); err != nil {
		t.Fatal(err)
	}
	// a report of successful delivery
	if _, err := run.Add(msg("e", "e@mx", t0.Add(-time.Hour), report.Record{Recipient: "ok@example.org", Reason: "delivered", Action: "delivered", Kind: "dsn"})); err != nil {
		t.Fatal(err)
	}
	run.Finish()
	list := func(opts SuppressOptions) string {
		got, err := s.Suppressions(opts)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, sp := range got {
			names = append(names, sp.Address+":"+sp.Rule)
		}
		return strings.Join(names, " ")
	}
	// The digest counts the abuse reports as complaints, the not-spam one
	// apart, and the delivery report apart from the bounce.
	d, err := s.Digest(DigestOptions{From: t0.Add(-24 * time.Hour), To: t0})
	if err != nil {
		t.Fatal(err)
	}
	if d.Totals.Complaints != 2 || d.Totals.FeedbackReports != 1 || d.Totals.Bounces != 1 || d.Totals.DeliveryReports != 1 {
		t.Errorf("digest totals %+v", d.Totals)
	}
	// A complaint lists its reader; "not-spam" does not; a hard bounce
	// keeps its own rule.
	if got, want := list(SuppressOptions{}), "gone@example.org:hard reader@example.org:complaint"; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	if got, want := list(SuppressOptions{NoComplaints: true}), "gone@example.org:hard"; got != want {
		t.Errorf("without complaints: got %s, want %s", got, want)
	}
	if _, err := s.Forget("reader@example.org"); err != nil {
		t.Fatal(err)
	}
	if got, want := list(SuppressOptions{}), "gone@example.org:hard"; got != want {
		t.Errorf("after forget: got %s, want %s", got, want)
	}
}
