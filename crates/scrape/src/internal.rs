//! An internal target: a body produced in-process, appended like a scrape.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use argus_model::exposition::{Entry, Format, Parser};
use argus_model::storage::{Appendable, SeriesRef};
use argus_model::{Labels, METRIC_NAME, stale_nan};
use tokio::sync::watch;

/// Produces the body to scrape (e.g. argus' own `/metrics`) and its format.
pub type Source = Arc<dyn Fn() -> (Vec<u8>, Format) + Send + Sync>;

/// What one scrape did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScrapeReport {
    /// Samples in the body.
    pub samples_scraped: u64,
    /// Samples stored.
    pub samples_appended: u64,
    /// Series not seen in the previous scrape.
    pub series_added: u64,
    /// Why the scrape failed, if it did (`up` is 0 then).
    pub error: Option<String>,
}

/// An in-process target with `job` and `instance` labels.
pub struct InternalTarget {
    job: String,
    instance: String,
    interval: Duration,
    honor_labels: bool,
    /// Series text → (ref, labels) seen in the last scrape.
    cache: HashMap<String, (SeriesRef, Labels)>,
}

impl InternalTarget {
    /// A target labelled `job`/`instance`, scraped every `interval`.
    pub fn new(job: &str, instance: &str, interval: Duration) -> Self {
        InternalTarget {
            job: job.into(),
            instance: instance.into(),
            interval,
            honor_labels: false,
            cache: HashMap::new(),
        }
    }

    /// Keep labels from the body that clash with target labels (Prometheus'
    /// `honor_labels: true`, what a push gateway target uses).
    pub fn with_honor_labels(mut self, honor: bool) -> Self {
        self.honor_labels = honor;
        self
    }

    fn target_labels(&self, scraped: &Labels) -> Labels {
        let mut b = scraped.builder();
        for (name, value) in [("job", &self.job), ("instance", &self.instance)] {
            match scraped.get(name) {
                Some(existing) if !self.honor_labels => {
                    // Prometheus renames a clashing scraped label to exported_<name>.
                    b.set(format!("exported_{name}"), existing.to_string());
                    b.set(name, value.clone());
                }
                Some(_) => {}
                None => {
                    b.set(name, value.clone());
                }
            }
        }
        b.build()
    }

    /// Appends one scrape of `body` at `t_ms` in one commit: the samples,
    /// staleness markers for series that disappeared, and the synthetic
    /// `up`/`scrape_*` series. A body that fails to parse stores nothing but
    /// `up 0` and the synthetic series, as Prometheus does.
    pub fn scrape_once(
        &mut self,
        app: &dyn Appendable,
        body: &[u8],
        format: Format,
        t_ms: i64,
        duration_s: f64,
    ) -> ScrapeReport {
        let mut report = ScrapeReport::default();
        let mut a = app.appender();
        let mut seen: HashMap<String, (SeriesRef, Labels)> = HashMap::with_capacity(self.cache.len());
        let mut parser = Parser::new(body, format);
        let mut failed = None;
        while let Some(entry) = parser.next() {
            let s = match entry {
                Ok(Entry::Series(s)) => s,
                Ok(_) => continue,
                Err(e) => {
                    failed = Some(e.to_string());
                    break;
                }
            };
            report.samples_scraped += 1;
            let (sref, labels) = match self.cache.get(s.series) {
                Some(c) => c.clone(),
                None => match s.labels() {
                    Ok(l) => (0, self.target_labels(&l)),
                    Err(e) => {
                        failed = Some(format!("line {}: {e}", parser.line()));
                        break;
                    }
                },
            };
            let t = s.timestamp_ms.unwrap_or(t_ms);
            match a.append(sref, &labels, t, s.value) {
                Ok(r) => {
                    report.samples_appended += 1;
                    if !self.cache.contains_key(s.series) {
                        report.series_added += 1;
                    }
                    seen.insert(s.series.to_string(), (r, labels));
                }
                Err(e) => tracing::debug!(series = s.series, err = %e, "sample rejected"),
            }
        }
        if let Some(e) = failed {
            // Nothing from a broken body is kept; the previous series go stale.
            a.rollback();
            a = app.appender();
            seen.clear();
            report.samples_appended = 0;
            report.series_added = 0;
            report.error = Some(e);
        }
        // Series gone since the last scrape get a staleness marker.
        let gone: HashSet<&String> = self.cache.keys().filter(|k| !seen.contains_key(*k)).collect();
        for k in gone {
            if let Some((r, l)) = self.cache.get(k) {
                let _ = a.append(*r, l, t_ms, stale_nan());
            }
        }
        let up = if report.error.is_some() { 0.0 } else { 1.0 };
        let synthetic = [
            ("up", up),
            ("scrape_duration_seconds", duration_s),
            ("scrape_samples_scraped", report.samples_scraped as f64),
            ("scrape_samples_post_metric_relabeling", report.samples_scraped as f64),
            ("scrape_series_added", report.series_added as f64),
        ];
        for (name, v) in synthetic {
            let l = Labels::from_pairs([(METRIC_NAME, name), ("job", &self.job), ("instance", &self.instance)]);
            let _ = a.append(0, &l, t_ms, v);
        }
        match a.commit() {
            Ok(()) => self.cache = seen,
            Err(e) => report.error = Some(format!("cannot store scrape: {e}")),
        }
        report
    }

    /// Scrapes `source` every interval until `stop` turns true.
    pub async fn run(mut self, app: Arc<dyn Appendable>, source: Source, mut stop: watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = async { let _ = stop.wait_for(|s| *s).await; } => return,
            }
            let start = Instant::now();
            let t_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0);
            // Producing the body reads files (host metrics) and committing
            // writes the WAL: run the whole scrape off the async workers.
            let (src, store) = (source.clone(), app.clone());
            let res = tokio::task::spawn_blocking(move || {
                let (body, format) = src();
                let dur = start.elapsed().as_secs_f64();
                let r = self.scrape_once(store.as_ref(), &body, format, t_ms, dur);
                (self, r)
            })
            .await;
            let r;
            (self, r) = match res {
                Ok(done) => done,
                Err(e) => {
                    tracing::error!(err = %e, "internal target panicked; it stops");
                    return;
                }
            };
            if let Some(e) = r.error {
                tracing::warn!(job = %self.job, instance = %self.instance, err = %e, "scrape failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use argus_model::storage::{MemStorage, Queryable, SelectHints};
    use argus_model::{Matcher, is_stale_nan};

    use super::*;

    fn values(st: &MemStorage, name: &str) -> Vec<(Labels, Vec<f64>)> {
        let q = st.querier(0, i64::MAX).unwrap();
        let h = SelectHints { start: 0, end: i64::MAX, ..Default::default() };
        q.select(&[Matcher::equal("__name__", name)], &h)
            .unwrap()
            .map(|s| s.unwrap())
            .map(|s| (s.labels, s.samples.iter().map(|x| x.v).collect()))
            .collect()
    }

    #[test]
    fn labels_synthetic_series_and_staleness() {
        let st = MemStorage::new();
        let mut t = InternalTarget::new("j", "i:1", Duration::from_secs(1));
        let r = t.scrape_once(&st, b"a 1\nb{job=\"x\"} 2\n", Format::PromText, 1000, 0.5);
        assert_eq!(r, ScrapeReport { samples_scraped: 2, samples_appended: 2, series_added: 2, error: None });
        let b = values(&st, "b");
        assert_eq!(b[0].0.get("exported_job"), Some("x"));
        assert_eq!(b[0].0.get("job"), Some("j"));
        t.scrape_once(&st, b"a 3\n", Format::PromText, 2000, 0.5);
        let b = values(&st, "b");
        assert!(is_stale_nan(b[0].1[1]), "b went away: stale marker");
        assert_eq!(values(&st, "up")[0].1, vec![1.0, 1.0]);
        assert_eq!(values(&st, "scrape_series_added")[0].1, vec![2.0, 0.0]);
    }

    #[test]
    fn broken_body_stores_up_zero_and_marks_stale() {
        let st = MemStorage::new();
        let mut t = InternalTarget::new("j", "i", Duration::from_secs(1));
        t.scrape_once(&st, b"a 1\n", Format::PromText, 1000, 0.1);
        let r = t.scrape_once(&st, b"a 2\na{ 3\n", Format::PromText, 2000, 0.1);
        assert!(r.error.as_deref().unwrap_or("").contains("line 2"), "{r:?}");
        let a = values(&st, "a");
        assert_eq!(a[0].1[0], 1.0);
        assert!(is_stale_nan(a[0].1[1]));
        assert_eq!(values(&st, "up")[0].1, vec![1.0, 0.0]);
    }

    #[test]
    fn honor_labels_keeps_pushed_job() {
        let st = MemStorage::new();
        let mut t = InternalTarget::new("pushgateway", "", Duration::from_secs(1)).with_honor_labels(true);
        t.scrape_once(&st, b"b{job=\"batch\"} 2\n", Format::PromText, 1000, 0.1);
        assert_eq!(values(&st, "b")[0].0.get("job"), Some("batch"));
    }
}
