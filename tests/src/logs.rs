//! A `tracing` writer that keeps what a subscriber writes, for tests that
//! check log lines.

use std::sync::{Arc, Mutex};

/// Collects the formatted events of a `tracing_subscriber::fmt()` writer
/// (`.with_writer(move || logs.clone())`).
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// What was written since the last `take`.
    pub fn take(&self) -> String {
        let mut buf = self.0.lock().expect("logs");
        String::from_utf8(std::mem::take(&mut *buf)).unwrap_or_default()
    }
}
