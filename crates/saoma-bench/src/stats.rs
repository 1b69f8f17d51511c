//! Latency histograms (HdrHistogram, microseconds), error counts, a progress line every
//! second and the summary table.

use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Up to one hour, three significant digits.
const MAX_MICROS: u64 = 3_600_000_000;

/// Shared by every virtual client of a scenario.
#[derive(Clone, Default)]
pub struct Recorder {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    steps: Mutex<BTreeMap<String, Histogram<u64>>>,
    /// Step order as first recorded, for the table.
    order: Mutex<Vec<String>>,
    errors: Mutex<BTreeMap<String, u64>>,
    done: AtomicU64,
    failed: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Recorder {
    pub fn new() -> Recorder {
        Recorder::default()
    }

    /// Record one sample of `step`.
    pub fn record(&self, step: &str, took: Duration) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(MAX_MICROS);
        let mut steps = lock(&self.inner.steps);
        if !steps.contains_key(step) {
            // Fixed, valid bounds: creation cannot fail.
            let Ok(hist) = Histogram::new_with_bounds(1, MAX_MICROS, 3) else {
                return;
            };
            lock(&self.inner.order).push(step.to_string());
            steps.insert(step.to_string(), hist);
        }
        if let Some(h) = steps.get_mut(step) {
            h.saturating_record(micros.clamp(1, MAX_MICROS));
        }
    }

    /// Time `fut` as `step`; its error is counted under `step`.
    pub async fn time<T, E: std::fmt::Display>(
        &self,
        step: &str,
        fut: impl std::future::Future<Output = Result<T, E>>,
    ) -> Result<T, ()> {
        let started = Instant::now();
        match fut.await {
            Ok(v) => {
                self.record(step, started.elapsed());
                Ok(v)
            }
            Err(e) => {
                self.error(step, &e.to_string());
                Err(())
            }
        }
    }

    /// Count an error of `step` (the first words of the message name it).
    pub fn error(&self, step: &str, message: &str) {
        let short: String = message.chars().take(120).collect();
        *lock(&self.inner.errors)
            .entry(format!("{step}: {short}"))
            .or_default() += 1;
        self.inner.failed.fetch_add(1, Ordering::Relaxed);
    }

    /// One unit of work (a login, a poll, ...) finished.
    pub fn done(&self) {
        self.inner.done.fetch_add(1, Ordering::Relaxed);
    }

    pub fn done_count(&self) -> u64 {
        self.inner.done.load(Ordering::Relaxed)
    }

    pub fn error_count(&self) -> u64 {
        self.inner.failed.load(Ordering::Relaxed)
    }

    /// A copy of `step`'s histogram.
    pub fn histogram(&self, step: &str) -> Option<Histogram<u64>> {
        lock(&self.inner.steps).get(step).cloned()
    }

    /// Print a line every second until the returned guard is dropped.
    pub fn progress(&self, label: &str) -> Progress {
        let recorder = self.clone();
        let label = label.to_string();
        let started = Instant::now();
        let task = tokio::spawn(async move {
            let mut last = 0;
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            loop {
                tick.tick().await;
                let done = recorder.done_count();
                eprintln!(
                    "  [{label}] {:>5.1}s  done {done:>9}  (+{:>7}/s)  errors {}",
                    started.elapsed().as_secs_f64(),
                    done - last,
                    recorder.error_count()
                );
                last = done;
            }
        });
        Progress(task)
    }

    /// The table: one row per step, milliseconds.
    pub fn table(&self) -> String {
        let steps = lock(&self.inner.steps);
        let order = lock(&self.inner.order);
        let mut out = format!(
            "  {:<28} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n",
            "step", "count", "mean ms", "p50 ms", "p99 ms", "p99.9 ms", "max ms"
        );
        for name in order.iter() {
            if let Some(h) = steps.get(name) {
                out.push_str(&format!(
                    "  {:<28} {:>9} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3}\n",
                    name,
                    h.len(),
                    h.mean() / 1000.0,
                    ms(h.value_at_quantile(0.5)),
                    ms(h.value_at_quantile(0.99)),
                    ms(h.value_at_quantile(0.999)),
                    ms(h.max()),
                ));
            }
        }
        let errors = lock(&self.inner.errors);
        if !errors.is_empty() {
            out.push_str("  errors:\n");
            for (what, n) in errors.iter().take(20) {
                out.push_str(&format!("    {n:>7} x {what}\n"));
            }
        }
        out
    }
}

pub fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

/// Stops the progress line when dropped.
pub struct Progress(tokio::task::JoinHandle<()>);

impl Drop for Progress {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `key: value` lines printed under the table.
#[derive(Default)]
pub struct Summary {
    pub title: String,
    pub lines: Vec<(String, String)>,
    pub table: String,
    /// Errors seen: the smoke run fails on any.
    pub errors: u64,
}

impl Summary {
    pub fn new(title: impl Into<String>) -> Summary {
        Summary {
            title: title.into(),
            ..Summary::default()
        }
    }

    pub fn line(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.lines.push((key.into(), value.into()));
    }

    pub fn print(&self) {
        println!("\n== {} ==", self.title);
        for (k, v) in &self.lines {
            println!("  {k:<40} {v}");
        }
        if !self.table.is_empty() {
            print!("{}", self.table);
        }
    }
}
