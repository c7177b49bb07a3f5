//! What decides when a SQLite statement is interrupted or tried again:
//! the progress handler's watch (generations, cancellations, the inline
//! budget's deadline) and the back-off of a statement refused for a lock.

use crate::error::Error;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Nanoseconds since the first call (0 is "no deadline").
pub(crate) fn now_nanos() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_nanos() as u64 + 1
}

/// What the progress handler reads to decide whether to interrupt the
/// running statement.
#[derive(Default)]
pub(crate) struct Watch {
    /// The generation of the statement running now.
    pub(crate) running: AtomicU64,
    /// Every generation up to this one is cancelled.
    pub(crate) cancelled: AtomicU64,
    /// Interrupt the running (inline) statement after this instant.
    pub(crate) deadline: AtomicU64,
    /// The inline budget ran out.
    pub(crate) escaped: AtomicBool,
    pub(crate) next: AtomicU64,
}

impl Watch {
    /// Starts a statement: a fresh generation, no deadline.
    pub(crate) fn start(&self) -> u64 {
        let generation = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        self.running.store(generation, Ordering::SeqCst);
        self.deadline.store(0, Ordering::SeqCst);
        self.escaped.store(false, Ordering::SeqCst);
        generation
    }

    pub(crate) fn interrupt_now(&self) -> bool {
        if self.cancelled.load(Ordering::Relaxed) >= self.running.load(Ordering::Relaxed) {
            return true;
        }
        let deadline = self.deadline.load(Ordering::Relaxed);
        if deadline != 0 && now_nanos() > deadline {
            self.escaped.store(true, Ordering::SeqCst);
            return true;
        }
        false
    }

    pub(crate) fn cancel(&self, generation: u64) {
        self.cancelled.fetch_max(generation, Ordering::SeqCst);
    }
}

/// SQLite's busy handler's pauses, in milliseconds.
const BACKOFF_MS: [u64; 12] = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100];

/// Whether a statement was refused because another connection holds a
/// lock, so that trying again may succeed (not SQLITE_BUSY_SNAPSHOT: a
/// transaction that read an older snapshot cannot write, however long it
/// waits).
pub(crate) fn is_busy(e: &Error) -> bool {
    matches!(e, Error::Database { code: Some(c), .. } if c == "5" || c == "261")
}

/// The pauses before each new try, until `limit` has passed.
pub(crate) struct Backoff {
    limit: Duration,
    waited: Duration,
    step: usize,
}

impl Backoff {
    pub(crate) fn new(limit: Duration) -> Self {
        Backoff {
            limit,
            waited: Duration::ZERO,
            step: 0,
        }
    }

    /// The next pause, or `None` once the limit is reached.
    pub(crate) fn next(&mut self) -> Option<Duration> {
        let left = self.limit.checked_sub(self.waited)?;
        if left.is_zero() {
            return None;
        }
        let ms = BACKOFF_MS[self.step.min(BACKOFF_MS.len() - 1)];
        let pause = Duration::from_millis(ms).min(left);
        self.step += 1;
        self.waited += pause;
        Some(pause)
    }
}
