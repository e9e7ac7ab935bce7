//! Crash test: a child process appends and acknowledges batches (and
//! persists, compacts, checkpoints) while the parent kills it with SIGKILL
//! at random points, many times. After every kill the database must open,
//! and every acknowledged sample must be there.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use telltale_model::{Appendable, Labels, Matcher, Queryable, SelectHints};
use telltale_tsdb::{Db, FsyncPolicy, Options};

const SERIES: usize = 20;
const STEP: i64 = 1000;
const CHILD_ENV: &str = "TELLTALE_TSDB_CRASH_DIR";

fn opts() -> Options {
    Options {
        background: false,
        wal_fsync: FsyncPolicy::Interval(Duration::from_secs(3600)),
        block_duration: Duration::from_secs(60),
        wal_segment_size: 64 * 1024,
        samples_per_chunk: 30,
        retention: None,
        ..Options::default()
    }
}

fn labels(i: usize) -> Labels {
    Labels::from_pairs(&[("__name__", "crash"), ("i", &i.to_string())])
}

/// The timestamps stored for series `i`.
fn stored(db: &Db, i: usize) -> Vec<i64> {
    let q = db.querier(i64::MIN, i64::MAX).unwrap();
    let mut ss = q
        .select(
            &SelectHints::default(),
            &[Matcher::equal("i", &i.to_string())],
        )
        .unwrap();
    match ss.first_mut() {
        Some(s) => s
            .samples
            .collect_all()
            .unwrap()
            .iter()
            .map(|s| s.t)
            .collect(),
        None => Vec::new(),
    }
}

/// The child role: append batch after batch, print each acknowledged one.
#[test]
#[ignore = "run by crash_kill_restart_loses_nothing_acknowledged as a child process"]
fn crash_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let db = Db::open(Path::new(&dir), opts()).unwrap();
    let mut batch = stored(&db, 0).last().map_or(0, |t| t / STEP + 1);
    let mut refs = [0u64; SERIES];
    loop {
        let mut app = db.appender();
        for (i, r) in refs.iter_mut().enumerate() {
            *r = app
                .append(*r, &labels(i), batch * STEP, batch as f64)
                .unwrap();
        }
        app.commit().unwrap();
        println!("acked {batch}");
        batch += 1;
        if batch % 97 == 0 {
            db.flush().unwrap();
        } else if batch % 31 == 0 {
            db.run_maintenance().unwrap();
        }
    }
}

#[test]
fn crash_kill_restart_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut acked: i64 = -1;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for round in 0..25 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let kill_after = 1 + (seed % 300) as usize;
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let mut lines = BufReader::new(out).lines();
        let mut seen = 0;
        while seen < kill_after {
            match lines.next() {
                Some(Ok(l)) => {
                    if let Some(n) = l.strip_prefix("acked ") {
                        acked = acked.max(n.trim().parse().unwrap());
                        seen += 1;
                    }
                }
                _ => break,
            }
        }
        child.kill().unwrap();
        // Acknowledgements printed before the kill landed count too.
        for l in lines.map_while(Result::ok) {
            if let Some(n) = l.strip_prefix("acked ") {
                acked = acked.max(n.trim().parse().unwrap());
            }
        }
        let _ = child.wait();
        let db = Db::open(dir.path(), opts())
            .unwrap_or_else(|e| panic!("round {round}: open after kill failed: {e}"));
        for i in 0..SERIES {
            let ts = stored(&db, i);
            let want: Vec<i64> = (0..=acked).map(|b| b * STEP).collect();
            assert!(
                ts.len() >= want.len() && ts[..want.len()] == want[..],
                "round {round}: series {i} lost acknowledged samples (acked up to {acked}, have {} samples)",
                ts.len()
            );
        }
    }
    assert!(acked > 100, "the child acknowledged too little: {acked}");
}
