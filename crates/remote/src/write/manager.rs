//! All `remote_write` destinations together: start, reload, stop, and
//! their counters for `/metrics`.

use telltale_model::MetricFamily;

use super::config::RemoteWriteConfig;
use super::sender::{RemoteWriter, SenderOptions};
use super::stats::families;
use crate::error::Error;

/// The running senders of a configuration.
#[derive(Default)]
pub struct RemoteWriters {
    running: Vec<(RemoteWriteConfig, RemoteWriter)>,
}

impl RemoteWriters {
    /// Starts one sender per entry (on the current tokio runtime).
    ///
    /// # Errors
    ///
    /// The first entry that is invalid; nothing is started then.
    pub fn start(cfgs: &[RemoteWriteConfig], opts: &SenderOptions) -> Result<Self, Error> {
        check_names(cfgs)?;
        for c in cfgs {
            c.validate()?;
        }
        let mut running = Vec::with_capacity(cfgs.len());
        for c in cfgs {
            running.push((c.clone(), RemoteWriter::start(c.clone(), opts.clone())?));
        }
        Ok(RemoteWriters { running })
    }

    /// Applies a new configuration: unchanged entries keep running, changed
    /// and removed ones are stopped (their positions are saved, so a
    /// changed entry resumes where it was), new ones start.
    ///
    /// # Errors
    ///
    /// An invalid entry; the running senders are left as they were.
    pub async fn reload(
        &mut self,
        cfgs: &[RemoteWriteConfig],
        opts: &SenderOptions,
    ) -> Result<(), Error> {
        check_names(cfgs)?;
        for c in cfgs {
            c.validate()?;
        }
        let old = std::mem::take(&mut self.running);
        let mut keep = Vec::new();
        for (c, w) in old {
            if cfgs.contains(&c) {
                keep.push((c, w));
            } else {
                w.stop().await;
            }
        }
        for c in cfgs {
            if keep.iter().any(|(k, _)| k == c) {
                continue;
            }
            keep.push((c.clone(), RemoteWriter::start(c.clone(), opts.clone())?));
        }
        self.running = keep;
        Ok(())
    }

    /// The counters of every destination.
    pub fn families(&self) -> Vec<MetricFamily> {
        let stats: Vec<_> = self.running.iter().map(|(_, w)| w.stats()).collect();
        families(&stats)
    }

    /// Stops every sender.
    pub async fn stop(self) {
        for (_, w) in self.running {
            w.stop().await;
        }
    }

    /// The number of running senders.
    pub fn len(&self) -> usize {
        self.running.len()
    }

    /// Whether none runs.
    pub fn is_empty(&self) -> bool {
        self.running.is_empty()
    }
}

/// Two entries with the same name would share a position file.
fn check_names(cfgs: &[RemoteWriteConfig]) -> Result<(), Error> {
    let mut seen = std::collections::BTreeSet::new();
    for c in cfgs {
        if !seen.insert(c.file_name()) {
            return Err(Error::Config {
                name: c.display_name(),
                reason: "two remote_write entries with the same name (or URL); give them distinct `name`s".into(),
            });
        }
    }
    Ok(())
}
